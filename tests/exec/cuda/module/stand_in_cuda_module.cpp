// A stand-in for the CUDA module (exec/cuda/module/cuda_module.hpp), built like the real
// one (pipewise_cuda_module: hidden visibility, static pipewise libraries) but without CUDA,
// so that the loader and the module boundary are tested on every machine. Its functions
// fail the way the real module's do without a GPU: by value (no device) and by throwing
// pipewise::Error and RunCancelled. STAND_IN_ABI_VERSION and STAND_IN_LAYOUT_SKEW make it a
// module of another build.
#include <memory>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"
#include "exec/cuda/module/cuda_module.hpp"

namespace pipewise::exec::cuda {
namespace {

class StandInBackend final : public TrainingBackend {
 public:
  void prepare(const Schedule&, const RunOptions&) override {}
  void start_worker(std::uint32_t) override {}
  void forward(std::uint32_t device, const Op&) override {
    throw Error("forward failed inside the module on device " + std::to_string(device));
  }
  void backward_input(std::uint32_t, const Op&) override {}
  void backward_weight(std::uint32_t, const Op&) override {}
  void optimizer_step(std::uint32_t, const Op&, bool) override {}
  void release_weights(std::uint32_t, std::uint32_t, std::uint32_t) override {}
  void send(std::uint32_t, const Op&, std::uint32_t) override {}
  void recv(std::uint32_t, const Op&, std::uint32_t) override { throw RunCancelled(); }
  void cancel() noexcept override {}
  std::int64_t now_ns(std::uint32_t) override { return 0; }
  void finish() override {}
  const MemoryAccount& memory(std::uint32_t) const override { return memory_; }
  StepHooks step_hooks() override {
    StepHooks hooks;
    hooks.losses = [] { return std::vector<float>{0.5f, 0.25f}; };
    return hooks;
  }
  RunDescription describe_run() const override {
    return {{"stand-in device 0"}, {"stand-in warning"}, true};
  }

 private:
  MemoryAccount memory_;
};

DeviceCount no_device() { return {0, "the stand-in module has no device"}; }

ExecutionProfile failing_profile(const MlpModel&, const SyntheticTask&, const OptimizerConfig&,
                                 const CudaBackendOptions&, std::uint32_t pipeline_devices,
                                 const ProfileOptions&) {
  throw Error("profiling " + std::to_string(pipeline_devices) +
              " devices failed inside the module");
}

std::unique_ptr<TrainingBackend> make_stand_in(const MlpModel&, const SyntheticTask&,
                                               const OptimizerConfig&,
                                               const CudaBackendOptions&) {
  return std::make_unique<StandInBackend>();
}

constexpr CudaModule kModule{STAND_IN_ABI_VERSION, cuda_module_layout() + STAND_IN_LAYOUT_SKEW,
                             &no_device, &failing_profile, &make_stand_in};

}  // namespace
}  // namespace pipewise::exec::cuda

extern "C" __attribute__((visibility("default"))) const pipewise::exec::cuda::CudaModule*
pipewise_cuda_module() {
  return &pipewise::exec::cuda::kModule;
}
