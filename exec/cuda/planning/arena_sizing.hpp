#pragma once
#include <cstddef>
#include <cstdint>

#include "common/ir/schedule.hpp"
#include "exec/model/mlp_model.hpp"

namespace pipewise::exec::cuda {

// What one device must hold at its peak while running `schedule`, in bytes, under the
// CPU backend's buffer rules (exec/cpu/cpu_backend.hpp), as an arena reservation:
//   every stage s of the device holds P_s parameters in V versions (V = the device's
//   weight_versions_held), a gradient accumulator and `optimizer_floats` floats of state
//   per parameter; and
//   each in-flight micro-batch of stage s (from its F to its W or B) holds at most
//   rows * (2 * input width + 2 * sum of layer widths) floats: its input, layer outputs,
//   layer gradients and input gradient;
// the peak of the second term is taken over the device's program. Pure function.
std::size_t device_peak_bytes(const Schedule& schedule, const MlpModel& model, std::uint32_t rows,
                              std::size_t optimizer_floats, std::uint32_t device);

// The arena to reserve for that peak: 5/4 of it plus 16 MiB for scratch (bf16 copies of
// GEMM inputs), messages in flight and the data set.
std::size_t arena_reservation_bytes(std::size_t peak_bytes);

}  // namespace pipewise::exec::cuda
