#include "exec/model/synthetic_task.hpp"

#include <cmath>
#include <cstddef>
#include <string>

#include "common/ir/error.hpp"
#include "exec/model/random.hpp"

namespace pipewise::exec {
namespace {

void require_positive(std::uint64_t value, const char* what) {
  if (value == 0) throw Error(std::string("synthetic task: ") + what + " must be at least 1");
}

}  // namespace

SyntheticTask::SyntheticTask(std::uint32_t input_width, std::uint32_t classes,
                             SyntheticTaskConfig config)
    : input_width_(input_width), classes_(classes), config_(config) {
  require_positive(input_width, "input width");
  require_positive(config.microbatch_size, "micro-batch size");
  require_positive(config.distinct_microbatches, "distinct micro-batches");
  require_positive(config.teacher_hidden, "teacher hidden width");
  if (classes < 2) throw Error("synthetic task: needs at least 2 classes, got " + std::to_string(classes));

  const std::size_t hidden = config.teacher_hidden;
  SplitMix64 teacher_random(mix_seed(config.seed, 0));
  std::vector<float> first(hidden * input_width);
  std::vector<float> second(std::size_t{classes} * hidden);
  const float first_scale = 1.0f / std::sqrt(static_cast<float>(input_width));
  const float second_scale = 1.0f / std::sqrt(static_cast<float>(hidden));
  for (float& w : first) w = teacher_random.normal() * first_scale;
  for (float& w : second) w = teacher_random.normal() * second_scale;

  const std::size_t samples = std::size_t{config.distinct_microbatches} * config.microbatch_size;
  inputs_.resize(samples * input_width);
  labels_.resize(samples);
  SplitMix64 data_random(mix_seed(config.seed, 1));
  for (float& x : inputs_) x = data_random.normal();

  std::vector<double> activation(hidden);
  for (std::size_t sample = 0; sample < samples; ++sample) {
    const float* x = inputs_.data() + sample * input_width;
    for (std::size_t h = 0; h < hidden; ++h) {
      double sum = 0.0;
      for (std::size_t i = 0; i < input_width; ++i) sum += double{first[h * input_width + i]} * x[i];
      activation[h] = sum > 0.0 ? sum : 0.0;
    }
    std::int32_t best = 0;
    double best_logit = 0.0;
    for (std::uint32_t c = 0; c < classes; ++c) {
      double logit = 0.0;
      for (std::size_t h = 0; h < hidden; ++h) logit += double{second[c * hidden + h]} * activation[h];
      if (c == 0 || logit > best_logit) {
        best = static_cast<std::int32_t>(c);
        best_logit = logit;
      }
    }
    labels_[sample] = best;
  }
}

const float* SyntheticTask::inputs(std::uint64_t global_microbatch) const {
  return inputs_.data() + entry(global_microbatch) * config_.microbatch_size * input_width_;
}

const std::int32_t* SyntheticTask::labels(std::uint64_t global_microbatch) const {
  return labels_.data() + entry(global_microbatch) * config_.microbatch_size;
}

void check_task_fits_model(const SyntheticTask& task, const MlpConfig& model) {
  if (task.input_width() != model.input_width()) {
    throw Error("the task has " + std::to_string(task.input_width()) +
                " inputs per sample but the model's first layer takes " +
                std::to_string(model.input_width()));
  }
  if (task.classes() != model.classes()) {
    throw Error("the task has " + std::to_string(task.classes()) + " classes but the model has " +
                std::to_string(model.classes()) + " outputs");
  }
}

}  // namespace pipewise::exec
