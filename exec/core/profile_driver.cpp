#include "exec/core/profile_driver.hpp"

#include <algorithm>

#include "common/ir/error.hpp"
#include "exec/core/profile_statistics.hpp"

namespace pipewise::exec {

double median_call_ms(const ProfileOptions& options, const TimeCall& time,
                      const ProfiledCall& prepare, const ProfiledCall& body) {
  std::vector<double> samples;
  samples.reserve(options.repeats);
  for (std::uint32_t run = 0; run < options.warmup + options.repeats; ++run) {
    const double ms = time(prepare, body);
    if (run >= options.warmup) samples.push_back(ms);
  }
  return median(std::move(samples));
}

StageProfile time_stage_ops(const StageOps& ops, const TimeCall& time,
                            const ProfileOptions& options) {
  const ProfiledCall nothing = [] {};
  StageProfile profile;
  profile.forward_ms = median_call_ms(options, time, nothing, ops.forward);
  ops.keep_output_gradient();
  profile.backward_input_ms =
      median_call_ms(options, time, ops.restore_output_gradient, ops.backward_input);
  profile.backward_weight_ms = median_call_ms(options, time, nothing, ops.backward_weight);
  profile.backward_ms = median_call_ms(options, time, ops.restore_output_gradient, [&] {
    ops.backward_input();
    ops.backward_weight();
  });
  profile.optimizer_step_ms = median_call_ms(options, time, nothing, ops.optimizer_step);
  profile.stashing_step_ms = median_call_ms(options, time, nothing, ops.stashing_step);
  return profile;
}

std::vector<std::size_t> checked_message_sizes(const ProfileOptions& options) {
  if (options.repeats == 0) throw Error("profiling needs at least one timed repeat");
  std::vector<std::size_t> sizes = options.transfer_bytes;
  if (sizes.empty()) {
    for (std::size_t bytes = 4096; bytes <= (std::size_t{4} << 20); bytes *= 4) {
      sizes.push_back(bytes);
    }
  }
  for (const std::size_t bytes : sizes) {
    if (bytes == 0) throw Error("a transfer size of 0 bytes cannot be profiled");
  }
  return sizes;
}

TransferProfile profile_transfers(const std::vector<std::size_t>& sizes,
                                  const MessageTime& message_ms) {
  TransferProfile profile;
  std::vector<double> x;
  std::vector<double> y;
  for (std::uint32_t i = 0; i < sizes.size(); ++i) {
    const double ms = message_ms(sizes[i], i);
    profile.samples.push_back({sizes[i], ms});
    x.push_back(static_cast<double>(sizes[i]));
    y.push_back(ms);
  }
  if (sizes.size() >= 2) {
    const LineFit line = fit_line(x, y);
    profile.latency_ms = std::max(0.0, line.intercept);
    profile.ms_per_byte = std::max(0.0, line.slope);
  } else {
    profile.ms_per_byte = y.front() / x.front();
  }
  return profile;
}

}  // namespace pipewise::exec
