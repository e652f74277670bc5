#pragma once
// The flags that describe what a schedule costs to simulate: compute times (or a --costs
// file), communication, the overlap of F&B pairs, memory, recomputation and data
// parallelism. `simulate` and `search` take the same ones, so a schedule `search` wrote
// simulates as it was searched.
#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "sim/cost_model.hpp"

namespace pipewise::tools {

// Adds the cost flags to `options` (shared ones through option_vocabulary.hpp).
void add_simulation_cost_options(boost::program_options::options_description& options);

// The cost configuration those flags describe: the --costs file if given, with every other
// flag given overriding its value. Throws pipewise::Error naming the flag at fault (a
// negative or non-finite number, a W longer than its B, compute flags with --costs, ...).
sim::CostConfig simulation_costs_from_options(const boost::program_options::variables_map& values);

// The value of real option --NAME if given. Throws pipewise::Error "--NAME must be a finite
// number > 0" for anything else.
std::optional<double> positive_real_option(const boost::program_options::variables_map& values,
                                           const std::string& name);

}  // namespace pipewise::tools
