#include "tools/cli/cost_file_input.hpp"

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"
#include "common/text/escaped_text.hpp"
#include "sim/cost_file.hpp"
#include "tools/compare/measured_costs.hpp"

namespace pipewise::tools {

sim::CostConfig read_cost_file(const std::string& path, const sim::CostConfig& base) {
  const std::string text = read_file(path, kMostJsonInputBytes);  // names the path itself
  try {
    return sim::parse_cost_config(text, base);
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }
}

sim::CostModel resolve_costs_from(const sim::CostConfig& config, const Problem& problem,
                                  const std::string& path) {
  if (config.profile && config.profile->model_stages != problem.model_stages()) {
    return sim::resolve_costs(costs_at_split(config, printable(path), problem), problem);
  }
  Result<sim::CostModel> costs = sim::try_resolve_costs(config, problem);
  if (costs.ok()) return std::move(costs.value());
  const std::string& reason = costs.status().reason();
  if (!path.empty() && reason.rfind("$.", 0) == 0) throw Error(path + ": " + reason);
  throw Error(reason);
}

}  // namespace pipewise::tools
