#pragma once
// The text `pipewise recommend` prints: the model, the ranked configurations with why the
// runners-up lose, the rules of thumb they break, and the target-bubble plan.
#include <cstddef>
#include <optional>
#include <string>

#include "tools/model/model_description.hpp"
#include "tools/whatif/recommend.hpp"

namespace pipewise::tools {

// Two or three lines describing the model and the machine, e.g. "gpt3-175b: 96 transformer
// layers (h = 12288, s = 2048, a = 96), 174 billion parameters; 64 devices × 80.0 GiB ...".
std::string model_summary(const ModelDescription& model);

// Model FLOPs of one step (no recomputation counted) per device and second, as a share of
// the peak: MFU. Absent for models of layer groups given in ms, or when not simulated.
std::optional<double> model_flops_utilization(const ModelDescription& model, const Candidate& candidate);

// The flags that lay `candidate` out in Megatron-LM (parallel sizes, the virtual pipeline
// size of the interleaved schedule across 2 stages or more, the uneven first and last stages of a balanced split,
// batch sizes, recomputation, sequence parallelism, distributed optimizer, the overlaps the
// model asks for), whatever its schedule.
std::string parallel_flags(const ModelDescription& model, const Candidate& candidate);

// parallel_flags, for the schedules Megatron-LM runs (1f1b, and interleaved at p >= 2); absent for
// the others, whose flags would run another schedule.
std::optional<std::string> megatron_flags(const ModelDescription& model, const Candidate& candidate);

// Where schedule `schedule` runs outside pipewise ("PyTorch ScheduleZBVZeroBubble; ..."),
// for a user who wants to train with it; empty for a name it does not know.
std::string schedule_runtime(const std::string& schedule);

// The best configuration's memory by kind on its fullest, first and last devices, and what
// Megatron-LM's own estimator says of it (transformers). Empty when it was not simulated.
std::string memory_breakdown(const ModelDescription& model, const Candidate& candidate);

// The whole report: summary, the `top` best fitting configurations (each with step time,
// bubble, peak memory, headroom and how it compares with the best), the faster
// configurations that exceed the cap, warnings, the target-bubble plan and the best
// configuration's Megatron-LM flags. `seconds` is the search time.
std::string recommendation_report(const ModelDescription& model, const Recommendation& recommendation,
                                  std::size_t top, double seconds);

}  // namespace pipewise::tools
