#include "tools/cli/recompute_options.hpp"

#include "common/ir/error.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/whatif/pipeline_costs.hpp"

namespace pipewise::tools {

namespace po = boost::program_options;

void add_recompute_method_options(po::options_description& options) {
  // clang-format off
  options.add_options()
      ("recompute-method", po::value<std::string>(),
       "Megatron-LM's method of --recompute full: block (the first --recompute-num-layers "
       "layers of each stage) or uniform (with --recompute-num-layers 1: every layer)")
      ("recompute-num-layers", po::value<std::string>(), "N of --recompute-method");
  // clang-format on
}

std::optional<std::string> recompute_text(const po::variables_map& values) {
  const bool method = values.count("recompute-method") > 0;
  const bool count_given = values.count("recompute-num-layers") > 0;
  if (!values.count("recompute")) {
    if (method || count_given) throw Error("--recompute-method and --recompute-num-layers need --recompute full");
    return std::nullopt;
  }
  const std::string text = values["recompute"].as<std::string>();
  if (!method && !count_given) return text;
  if (text != "full") {
    throw Error("--recompute-method and --recompute-num-layers go with --recompute full (got \"" + text + "\")");
  }
  if (!method || !count_given) throw Error("--recompute-method and --recompute-num-layers go together");
  const std::string name = choice_option(values, "recompute-method", {"block", "uniform"});
  const std::string count = values["recompute-num-layers"].as<std::string>();
  const std::optional<std::uint32_t> layers = recomputed_layers_from_text(count);
  if (!layers) {
    throw Error("--recompute-num-layers takes a whole number of layers from 1 to " +
                std::to_string(kMostRecomputedLayers) + " (got \"" + count + "\")");
  }
  if (name == "block") return "block:" + count;
  if (*layers != 1) {
    throw Error("--recompute-method uniform with --recompute-num-layers " + count +
                " (groups of layers checkpointed together) is not modelled; use 1, or block");
  }
  return "full";
}

}  // namespace pipewise::tools
