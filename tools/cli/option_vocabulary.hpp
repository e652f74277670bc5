#pragma once
// The one vocabulary of the `pipewise` command line: every option that more than one
// command takes, or that has an older spelling, defined once here with its name, aliases,
// unit and help. Commands add these with add_option and never declare their own copies.
//
// | option                   | aliases (their unit)                   | unit    | commands                                                 |
// |--------------------------|----------------------------------------|---------|----------------------------------------------------------|
// | -s, --schedule NAME      | --schedules                            |         | show, simulate, run (or a LIST), profile                 |
// | -s, --schedules LIST     | --schedule                             |         | sweep, recommend, search                                 |
// | -p, --stages             | --pipeline-model-parallel-size         |         | show, simulate, run, profile, sweep, recommend,          |
// |                          |                                        |         | partition, search                                        |
// | -v, --chunks             | --virtual-pipeline-model-parallel-size |         | show, simulate, run, profile, sweep, recommend, search   |
// | -m, --microbatches       |                                        |         | show, simulate, run, profile, sweep, search              |
// | -n, --iterations         |                                        |         | show, simulate, run, profile, search                     |
// | --forward-ms             | --cost-f, --forward                    | ms      | simulate, sweep, search                                  |
// | --backward-ms            | --cost-b, --backward                   | ms      | simulate, sweep, search                                  |
// | --backward-weight-ms     | --cost-w                               | ms      | simulate, search                                         |
// | --optimizer-step-ms      | --cost-step                            | ms      | simulate, model flags, search                            |
// | --latency-us             | --comm-latency (ms)                    | us      | simulate, model flags, search                            |
// | --bandwidth              |                                        | GB/s    | simulate, model flags, search                            |
// | --dp-latency-us          | --dp-latency (ms)                      | us      | simulate, model flags, search                            |
// | --dp-bandwidth           |                                        | GB/s    | simulate, model flags, search                            |
// | --data-parallel-size     | --data-parallel                        |         | simulate, model flags, search                            |
// | --micro-batch-size       | --microbatch-size                      | samples | simulate (a number), model flags (a LIST)                |
// | --parameter-bytes        | --param-bytes                          | bytes   | simulate, search                                         |
// | --layer-activation-bytes |                                        | bytes   | simulate, model flags, search                            |
// | --recompute              | --recompute-granularity                |         | simulate, sweep, recommend (a list), partition, search   |
// | --costs FILE             |                                        |         | simulate, sweep, search, run, recommend                  |
// | -f, --format             |                                        |         | show, simulate, sweep, search                            |
// | -o, --output FILE        |                                        |         | show, simulate, sweep, recommend, partition, search,     |
// |                          |                                        |         | profile (the cost file)                                  |
// | --svg FILE               |                                        |         | simulate, sweep, recommend, search                       |
// | --threads                |                                        |         | sweep, recommend, search                                 |
//
// "model flags" are those of model_options.hpp: sweep, recommend and partition. Canonical
// names carry their unit where one applies and follow Megatron-LM where it has a name; the
// aliases are the spellings commands used before, kept for scripts, each converted from its
// own unit (`--comm-latency 0.01`, ms, is `--latency-us 10`). Giving two spellings of one
// option is an error naming both. `--help` lists each option once, by its canonical name,
// with its aliases below its help.
#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipewise::tools {

// What an option's value is read as: a real number (double), a whole number
// (std::int64_t) or text (std::string: names, lists, RANGEs, files).
enum class ValueKind { Number, Whole, Text };

// An older spelling of a shared option.
struct OptionAlias {
  std::string_view name{};  // without "--"
  std::string_view unit{};  // its own unit when it differs from the option's, else empty
  double scale = 1;         // a value in the alias's unit times `scale` is in the option's unit
};

// One option of the vocabulary. A Number option's every spelling must be finite and >= 0.
struct SharedOption {
  std::string_view name;   // the canonical long name, without "--"
  char short_name = '\0';  // e.g. 'p' for -p; '\0' for none
  ValueKind kind = ValueKind::Text;
  std::string_view unit;  // "ms", "us", "GB/s", "bytes", "samples" or empty
  std::string_view help;  // what it means; the unit, detail and aliases are appended
  std::vector<OptionAlias> aliases;
};

// How one command takes a shared option.
struct OptionUse {
  std::optional<ValueKind> kind{};  // read as this kind instead (e.g. a RANGE as Text)
  std::string detail{};             // appended to the help: choices, default, "a RANGE"
  std::optional<std::string> default_value{};   // Text only: the value when it is not given
  std::optional<std::string> implicit_value{};  // Text only: the value of the bare option
};

namespace vocabulary {
extern const SharedOption schedule;
extern const SharedOption schedules;
extern const SharedOption stages;
extern const SharedOption chunks;
extern const SharedOption microbatches;
extern const SharedOption iterations;
extern const SharedOption forward_ms;
extern const SharedOption backward_ms;
extern const SharedOption backward_weight_ms;
extern const SharedOption optimizer_step_ms;
extern const SharedOption latency_us;
extern const SharedOption bandwidth;
extern const SharedOption dp_latency_us;
extern const SharedOption dp_bandwidth;
extern const SharedOption data_parallel_size;
extern const SharedOption micro_batch_size;
extern const SharedOption parameter_bytes;
extern const SharedOption layer_activation_bytes;
extern const SharedOption recompute;
extern const SharedOption costs;
extern const SharedOption format;
extern const SharedOption output;
extern const SharedOption svg;
extern const SharedOption threads;
}  // namespace vocabulary

// Every option of the vocabulary, in the order of the table above.
const std::vector<const SharedOption*>& shared_options();

// Adds `option` under its canonical name (and short name) to `options`, and each of its
// aliases as an option of its own that --help (help_options) does not list.
void add_option(boost::program_options::options_description& options, const SharedOption& option,
                const OptionUse& use = {});

// After boost::program_options::store and before notify: checks every spelling of a shared
// option that was given (a Number must be finite and >= 0), and stores a value given under
// an alias under the canonical name, converted to its unit. Afterwards commands read the
// canonical names only. Throws pipewise::Error naming the spelling at fault, or naming both
// spellings when one option was given twice ("--latency-us and --comm-latency are the same
// option: give one of them").
void resolve_aliases(const boost::program_options::options_description& options,
                     boost::program_options::variables_map& values);

// `options` as --help shows them: aliases left out, each named below its option's help
// ("[aliases: --cost-f, --forward]"; "[alias: --comm-latency in ms]").
boost::program_options::options_description help_options(
    const boost::program_options::options_description& options);

}  // namespace pipewise::tools
