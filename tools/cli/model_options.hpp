#pragma once
// The command-line form of a model description: --model NAME|FILE picks a preset or a JSON
// file, and flags (Megatron-LM's names where they mean the same) override its fields.
#include <boost/program_options.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "tools/model/model_description.hpp"

namespace pipewise::tools {

// Adds --model, --print-model and the model flags (layers, device, batch, parallelism,
// interconnect, training) to `options`; those other commands take too come from
// option_vocabulary.hpp with their aliases (--micro-batch-size is a LIST here).
void add_model_options(boost::program_options::options_description& options);

// Lines for a command's --help text naming each preset with its one-line summary (no
// final newline).
std::string model_presets_help();

// True when any option added by add_model_options was given (other than --print-model).
bool has_model_options(const boost::program_options::variables_map& values);

// The name (without "--") of the first option add_model_options added, --model and
// --print-model included, that was given and is not in `allowed`; none when there is none.
std::optional<std::string> given_model_flag(const boost::program_options::variables_map& values,
                                            std::initializer_list<std::string_view> allowed);

// The model the options describe: --model (a preset name, else a JSON file path), or a
// model built from the flags alone when they describe its layers, else `fallback`; then
// every flag overrides the field it names. Throws pipewise::Error naming the bad flag or
// file, or "no model given" when there is no model and no fallback.
ModelDescription model_from_options(const boost::program_options::variables_map& values,
                                    const ModelDescription* fallback);

// Handles --print-model: prints the model as JSON to stdout and returns true if it was given.
bool print_model_if_asked(const boost::program_options::variables_map& values,
                          const ModelDescription& model);

}  // namespace pipewise::tools
