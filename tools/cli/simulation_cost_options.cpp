// The cost flags of `simulate` and `search` (simulation_cost_options.hpp).
#include "tools/cli/simulation_cost_options.hpp"

#include <cmath>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"
#include "tools/cli/command_line.hpp"
#include "tools/cli/cost_file_input.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

// The recomputation asked for, if any: off (false) or full (true). Selective recomputation
// keeps part of each transformer layer's activations, and these cost flags know no layers'
// insides.
std::optional<bool> recompute_option(const po::variables_map& values) {
  if (!values.count("recompute")) return std::nullopt;
  const std::string value = choice_option(values, "recompute", {"off", "selective", "full"});
  if (value == "selective") {
    throw Error("--recompute selective needs a transformer's layers, which these cost flags do not "
                "describe: use off or full here, or a model with sweep, recommend or partition");
  }
  return value == "full";
}

// The value of a non-negative real option, if given. Throws "--NAME must be ...".
std::optional<double> real_option(const po::variables_map& values, const std::string& name,
                                  bool allow_zero = true) {
  if (!values.count(name)) return std::nullopt;
  const double value = values[name].as<double>();
  if (!std::isfinite(value) || value < 0 || (!allow_zero && value == 0)) {
    throw Error("--" + name + " must be a finite number " + (allow_zero ? ">= 0" : "> 0") +
                " (got " + format_given(value) + ")");
  }
  return value;
}

}  // namespace

void add_simulation_cost_options(po::options_description& options) {
  add_option(options, vocabulary::costs);
  add_option(options, vocabulary::forward_ms, {.detail = "default 1"});
  add_option(options, vocabulary::backward_ms, {.detail = "default 2"});
  add_option(options, vocabulary::backward_weight_ms, {.detail = "default B/2"});
  add_option(options, vocabulary::optimizer_step_ms, {.detail = "default 0"});
  add_option(options, vocabulary::latency_us);
  add_option(options, vocabulary::bandwidth);
  // clang-format off
  options.add_options()
      ("activation-bytes", po::value<double>(), "bytes of one micro-batch's stage activation")
      ("gradient-bytes", po::value<double>(), "bytes of its gradient (default: activation bytes)")
      ("comm-mode", po::value<std::string>(), "overlapped (async P2P) or blocking (sender waits)")
      ("overlap-efficiency", po::value<double>(),
       "e in [0, 1]: an overlapped F&B pair (DualPipe) takes max(F, B) + (1 - e) min(F, B); "
       "default 0, the two ops back to back");
  add_option(options, vocabulary::parameter_bytes);
  options.add_options()
      ("optimizer", po::value<std::string>(), "sgd, momentum or adam (optimizer state)")
      ("layers", po::value<double>(), "layers L in one device's share (default 1)");
  add_option(options, vocabulary::layer_activation_bytes, {.detail = "default: --activation-bytes"});
  options.add_options()
      ("working-set-factor", po::value<double>(), "alpha: recomputation rebuilds alpha*L*A_layer");
  add_option(options, vocabulary::recompute,
             {.detail = "here off (the default) or full, which keeps only stage-boundary "
                        "activations; a bare --recompute is full",
              .implicit_value = "full"});
  add_option(options, vocabulary::data_parallel_size, {.detail = "default 1"});
  add_option(options, vocabulary::dp_bandwidth, {.detail = "default: --bandwidth"});
  add_option(options, vocabulary::dp_latency_us, {.detail = "default: --latency-us"});
  options.add_options()
      ("allreduce-mode", po::value<std::string>(),
       "overlapped (with the cool-down) or blocking (at the optimizer step)");
  // clang-format on
}

sim::CostConfig simulation_costs_from_options(const po::variables_map& values) {
  sim::CostConfig config;
  const bool compute_flags = values.count("forward-ms") || values.count("backward-ms") ||
                             values.count("backward-weight-ms") || values.count("optimizer-step-ms");
  if (values.count("costs")) {
    if (compute_flags) throw Error("give either --forward-ms/--backward-ms/--backward-weight-ms/--optimizer-step-ms or --costs, not both");
    config = read_cost_file(values["costs"].as<std::string>());
  }
  sim::ComputeOverride compute;
  compute.forward = real_option(values, "forward-ms");
  compute.backward = real_option(values, "backward-ms");
  compute.backward_weight = real_option(values, "backward-weight-ms");
  compute.optimizer_step = real_option(values, "optimizer-step-ms");
  if (compute.backward_weight && !compute.backward) compute.backward = config.device_share.backward();
  if (compute.backward_weight && *compute.backward_weight > *compute.backward) {
    throw Error("--backward-weight-ms (" + format_given(*compute.backward_weight) +
                ") is part of the backward and cannot exceed --backward-ms (" +
                format_given(*compute.backward) + ")");
  }
  config.device_share = compute.apply_to(config.device_share, "cost flags").value_or_throw();

  sim::CommunicationCosts& comm = config.communication;
  if (auto value = real_option(values, "latency-us")) comm.latency_ms = *value / 1000;
  if (auto value = real_option(values, "bandwidth")) comm.bandwidth_gb_per_s = *value;
  if (auto value = real_option(values, "activation-bytes")) {
    comm.activation_bytes = *value;
    comm.gradient_bytes = *value;
  }
  if (auto value = real_option(values, "gradient-bytes")) comm.gradient_bytes = *value;
  if (values.count("comm-mode")) {
    comm.mode = sim::comm_mode_from_name(choice_option(values, "comm-mode", {"overlapped", "blocking"}));
  }

  if (auto value = real_option(values, "overlap-efficiency")) {
    if (*value > 1) throw Error("--overlap-efficiency must be in [0, 1] (got " + format_given(*value) + ")");
    config.overlap.efficiency = *value;
  }

  sim::MemoryConfig& memory = config.memory;
  if (auto value = real_option(values, "parameter-bytes")) memory.parameter_bytes = *value;
  if (values.count("optimizer")) {
    memory.optimizer =
        sim::optimizer_from_name(choice_option(values, "optimizer", {"sgd", "momentum", "adam"}));
  }
  if (auto value = real_option(values, "layers")) memory.layers = *value;
  if (auto value = real_option(values, "layer-activation-bytes")) {
    memory.activation_bytes_per_layer = *value;
  } else if (memory.activation_bytes_per_layer == 0) {
    memory.activation_bytes_per_layer = comm.activation_bytes;
  }
  if (auto value = real_option(values, "working-set-factor")) memory.working_set_factor = *value;
  if (const auto recompute = recompute_option(values)) memory.recompute = *recompute;

  sim::DataParallelCosts& dp = config.data_parallel;
  dp.replicas = bounded_option(values, "data-parallel-size", dp.replicas, 1, 1 << 20);
  if (!values.count("costs")) {
    dp.bandwidth_gb_per_s = comm.bandwidth_gb_per_s;
    dp.latency_ms = comm.latency_ms;
  }
  if (auto value = real_option(values, "dp-bandwidth")) dp.bandwidth_gb_per_s = *value;
  if (auto value = real_option(values, "dp-latency-us")) dp.latency_ms = *value / 1000;
  if (values.count("allreduce-mode")) {
    dp.overlap_with_cooldown =
        choice_option(values, "allreduce-mode", {"overlapped", "blocking"}) == "overlapped";
  }
  return config;
}

std::optional<double> positive_real_option(const po::variables_map& values, const std::string& name) {
  return real_option(values, name, false);
}

}  // namespace pipewise::tools
