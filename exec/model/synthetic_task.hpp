#pragma once
#include <cstdint>
#include <vector>

#include "exec/model/mlp_config.hpp"

namespace pipewise::exec {

// Options of the synthetic classification task, with their defaults.
struct SyntheticTaskConfig {
  std::uint32_t microbatch_size = 32;        // samples (rows) per micro-batch
  std::uint32_t distinct_microbatches = 64;  // size of the data set, in micro-batches
  std::uint32_t teacher_hidden = 64;         // hidden width of the teacher network
  std::uint64_t seed = 7;                    // seeds the inputs and the teacher
};

// A learnable task: inputs are standard-normal vectors from a seeded generator, and each
// label is the argmax of a fixed random teacher network (input → ReLU hidden → classes),
// so a student MLP can drive its loss down. Micro-batch g of a run (g = iteration·m +
// micro-batch) reads data-set entry g mod distinct_microbatches. Read-only after
// construction, so every device thread may read it at once.
class SyntheticTask {
 public:
  // Throws pipewise::Error when a size is 0 or classes < 2.
  SyntheticTask(std::uint32_t input_width, std::uint32_t classes, SyntheticTaskConfig config = {});

  std::uint32_t rows() const { return config_.microbatch_size; }
  std::uint32_t input_width() const { return input_width_; }
  std::uint32_t classes() const { return classes_; }
  const SyntheticTaskConfig& config() const { return config_; }
  // rows() x input_width() inputs of micro-batch g, row-major.
  const float* inputs(std::uint64_t global_microbatch) const;
  // rows() labels of micro-batch g, each in [0, classes()).
  const std::int32_t* labels(std::uint64_t global_microbatch) const;

 private:
  std::uint64_t entry(std::uint64_t global_microbatch) const {
    return global_microbatch % config_.distinct_microbatches;
  }

  std::uint32_t input_width_;
  std::uint32_t classes_;
  SyntheticTaskConfig config_;
  std::vector<float> inputs_;
  std::vector<std::int32_t> labels_;
};

// Throws pipewise::Error unless `task`'s samples have as many inputs as `model`'s first
// layer takes and as many classes as its last layer gives.
void check_task_fits_model(const SyntheticTask& task, const MlpConfig& model);

}  // namespace pipewise::exec
