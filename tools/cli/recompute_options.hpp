#pragma once
// Megatron-LM's spelling of recomputation for the commands that take --recompute
// (recommend, sweep): --recompute-granularity full with --recompute-method uniform|block
// and --recompute-num-layers N, folded into pipewise's own names, so that flags copied
// from a Megatron-LM script mean what they mean there.
#include <boost/program_options.hpp>
#include <optional>
#include <string>

namespace pipewise::tools {

// Adds --recompute-method and --recompute-num-layers.
void add_recompute_method_options(boost::program_options::options_description& options);

// --recompute's text with the method folded in: "full" with block and N is "block:N",
// with uniform and N = 1 "full"; the text as given without a method; nullopt without
// --recompute. Throws pipewise::Error, in one line, for a method without --recompute full,
// a method without its N or N without a method, an N that is not a whole number from 1,
// and uniform with N > 1 (groups of N layers checkpointed together: not modelled).
std::optional<std::string> recompute_text(const boost::program_options::variables_map& values);

}  // namespace pipewise::tools
