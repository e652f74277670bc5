#include "tools/cli/option_vocabulary.hpp"

#include <boost/make_shared.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {

namespace vocabulary {
// clang-format off
const SharedOption schedule{"schedule", 's', ValueKind::Text, "", "the schedule to generate",
                            {{.name = "schedules"}}};
const SharedOption schedules{"schedules", 's', ValueKind::Text, "",
                             "the schedules to compare: a comma-separated list, or all",
                             {{.name = "schedule"}}};
const SharedOption stages{"stages", 'p', ValueKind::Whole, "", "pipeline stages p, one device each",
                          {{.name = "pipeline-model-parallel-size"}}};
const SharedOption chunks{"chunks", 'v', ValueKind::Whole, "", "model chunks per device v",
                          {{.name = "virtual-pipeline-model-parallel-size"}}};
const SharedOption microbatches{"microbatches", 'm', ValueKind::Whole, "",
                                "micro-batches per iteration m", {}};
const SharedOption iterations{"iterations", 'n', ValueKind::Whole, "", "training iterations n", {}};
const SharedOption forward_ms{"forward-ms", '\0', ValueKind::Number, "ms",
                              "forward time F of one micro-batch of a device's share of the model",
                              {{.name = "cost-f"}, {.name = "forward"}}};
const SharedOption backward_ms{"backward-ms", '\0', ValueKind::Number, "ms",
                               "backward time B = I + W of one micro-batch of a device's share",
                               {{.name = "cost-b"}, {.name = "backward"}}};
const SharedOption backward_weight_ms{"backward-weight-ms", '\0', ValueKind::Number, "ms",
                                      "weight-gradient part W of the backward",
                                      {{.name = "cost-w"}}};
const SharedOption optimizer_step_ms{"optimizer-step-ms", '\0', ValueKind::Number, "ms",
                                     "time of one device's optimizer step",
                                     {{.name = "cost-step"}}};
const SharedOption latency_us{"latency-us", '\0', ValueKind::Number, "us",
                              "latency of one message between pipeline stages",
                              {{.name = "comm-latency", .unit = "ms", .scale = 1000}}};
const SharedOption bandwidth{"bandwidth", '\0', ValueKind::Number, "GB/s",
                             "link bandwidth between pipeline stages (0 = unlimited)", {}};
const SharedOption dp_latency_us{"dp-latency-us", '\0', ValueKind::Number, "us",
                                 "data-parallel all-reduce latency per ring step",
                                 {{.name = "dp-latency", .unit = "ms", .scale = 1000}}};
const SharedOption dp_bandwidth{"dp-bandwidth", '\0', ValueKind::Number, "GB/s",
                                "data-parallel all-reduce bandwidth", {}};
const SharedOption data_parallel_size{"data-parallel-size", '\0', ValueKind::Whole, "",
                                      "data-parallel replicas d", {{.name = "data-parallel"}}};
const SharedOption micro_batch_size{"micro-batch-size", '\0', ValueKind::Text, "",
                                    "samples per micro-batch b", {{.name = "microbatch-size"}}};
const SharedOption parameter_bytes{"parameter-bytes", '\0', ValueKind::Number, "bytes",
                                   "parameters of one device's share of the model",
                                   {{.name = "param-bytes"}}};
const SharedOption layer_activation_bytes{"layer-activation-bytes", '\0', ValueKind::Number,
                                          "bytes", "activations one layer stashes per micro-batch",
                                          {}};
const SharedOption recompute{"recompute", '\0', ValueKind::Text, "",
                             "activation recomputation: off, selective or full",
                             {{.name = "recompute-granularity"}}};
const SharedOption costs{"costs", '\0', ValueKind::Text, "",
                         "simulator cost file FILE (JSON, schema in sim/cost_file.hpp)", {}};
const SharedOption format{"format", 'f', ValueKind::Text, "", "report format", {}};
const SharedOption output{"output", 'o', ValueKind::Text, "",
                          "write the report to FILE instead of stdout", {}};
const SharedOption svg{"svg", '\0', ValueKind::Text, "", "write a picture to FILE", {}};
const SharedOption threads{"threads", '\0', ValueKind::Whole, "",
                           "worker threads (default: all cores)", {}};
// clang-format on
}  // namespace vocabulary

const std::vector<const SharedOption*>& shared_options() {
  using namespace vocabulary;
  static const std::vector<const SharedOption*> kAll = {
      &schedule, &schedules, &stages, &chunks, &microbatches, &iterations,
      &forward_ms, &backward_ms, &backward_weight_ms, &optimizer_step_ms,
      &latency_us, &bandwidth, &dp_latency_us, &dp_bandwidth,
      &data_parallel_size, &micro_batch_size, &parameter_bytes, &layer_activation_bytes,
      &recompute, &costs, &format, &output, &svg, &threads};
  return kAll;
}

namespace {

// The mark an options_description entry of a shared option carries in its value semantic:
// which option, and which alias (none for the canonical name). resolve_aliases and
// help_options recognise the entries by it.
class Spelling {
 public:
  Spelling(const SharedOption& option, const OptionAlias* alias) : option_(option), alias_(alias) {}
  virtual ~Spelling() = default;
  const SharedOption& option() const { return option_; }
  const OptionAlias* alias() const { return alias_; }

 private:
  const SharedOption& option_;
  const OptionAlias* alias_;
};

template <class T>
class SharedValue final : public po::typed_value<T>, public Spelling {
 public:
  SharedValue(const SharedOption& option, const OptionAlias* alias)
      : po::typed_value<T>(nullptr), Spelling(option, alias) {}
};

const Spelling* spelling_of(const po::option_description& description) {
  return dynamic_cast<const Spelling*>(description.semantic().get());
}

// Only the parameter text of an option, for the copy of an options_description that
// --help prints: it never parses.
class ParameterText final : public po::value_semantic_codecvt_helper<char> {
 public:
  explicit ParameterText(std::string text) : text_(std::move(text)) {}
  std::string name() const override { return text_; }
  unsigned min_tokens() const override { return 0; }
  unsigned max_tokens() const override { return text_.empty() ? 0 : 1; }
  bool is_composing() const override { return false; }
  bool is_required() const override { return false; }
  bool apply_default(boost::any&) const override { return false; }
  void notify(const boost::any&) const override {}

 protected:
  void xparse(boost::any&, const std::vector<std::string>&) const override {}

 private:
  std::string text_;
};

po::value_semantic* value_of(ValueKind kind, const SharedOption& option, const OptionAlias* alias,
                             const OptionUse& use) {
  if ((use.default_value || use.implicit_value) && kind != ValueKind::Text) {
    throw std::logic_error("only a text option takes a default or implicit value");
  }
  switch (kind) {
    case ValueKind::Number:
      return new SharedValue<double>(option, alias);
    case ValueKind::Whole:
      return new SharedValue<std::int64_t>(option, alias);
    case ValueKind::Text:
      break;
  }
  auto* value = new SharedValue<std::string>(option, alias);
  if (!alias && use.default_value) value->default_value(*use.default_value);
  if (!alias && use.implicit_value) value->implicit_value(*use.implicit_value);
  return value;
}

std::string help_of(const SharedOption& option, const OptionUse& use) {
  std::string help(option.help);
  if (!option.unit.empty()) help += ", in " + std::string(option.unit);
  if (!use.detail.empty()) help += "; " + use.detail;
  if (option.aliases.empty()) return help;
  help += option.aliases.size() == 1 ? "\n[alias: " : "\n[aliases: ";
  for (std::size_t i = 0; i < option.aliases.size(); ++i) {
    const OptionAlias& alias = option.aliases[i];
    help += (i ? ", --" : "--") + std::string(alias.name);
    if (!alias.unit.empty()) help += " in " + std::string(alias.unit);
  }
  return help + "]";
}

// The value given under `alias`, in the unit of its option.
boost::any converted(const boost::any& value, const OptionAlias& alias) {
  if (const double* number = boost::any_cast<double>(&value)) return *number * alias.scale;
  return value;
}

}  // namespace

void add_option(po::options_description& options, const SharedOption& option, const OptionUse& use) {
  const ValueKind kind = use.kind.value_or(option.kind);
  std::string names(option.name);
  if (option.short_name != '\0') names += std::string(",") + option.short_name;
  const std::string help = help_of(option, use);
  options.add(boost::make_shared<po::option_description>(
      names.c_str(), value_of(kind, option, nullptr, use), help.c_str()));
  for (const OptionAlias& alias : option.aliases) {
    const std::string alias_name(alias.name);
    const std::string alias_help = "alias of --" + std::string(option.name);
    options.add(boost::make_shared<po::option_description>(
        alias_name.c_str(), value_of(kind, option, &alias, use), alias_help.c_str()));
  }
}

void resolve_aliases(const po::options_description& options, po::variables_map& values) {
  // The spellings given of each shared option, canonical name first.
  std::map<std::string_view, std::vector<const po::option_description*>> given;
  for (const auto& description : options.options()) {
    const Spelling* spelling = spelling_of(*description);
    const std::string& name = description->long_name();
    if (!spelling || !values.count(name) || values[name].defaulted()) continue;
    if (const double* number = boost::any_cast<double>(&values[name].value())) {
      if (!std::isfinite(*number) || *number < 0) {
        throw Error("--" + name + " must be a finite number >= 0 (got " + format_given(*number) + ")");
      }
    }
    given[spelling->option().name].push_back(description.get());
  }
  for (const auto& [canonical, spellings] : given) {
    const std::string first = spellings.front()->long_name();
    if (spellings.size() > 1) {
      const std::string second = spellings[1]->long_name();
      throw Error("--" + first + " and --" + second + " are the same option" +
                  (first == canonical ? "" : " (--" + std::string(canonical) + ")") +
                  ": give one of them");
    }
    const OptionAlias* alias = spelling_of(*spellings.front())->alias();
    if (!alias) continue;
    const std::string name(canonical);
    const boost::any value = converted(values[first].value(), *alias);
    values.erase(name);
    values.emplace(name, po::variable_value(value, false));
  }
}

po::options_description help_options(const po::options_description& options) {
  // Descriptions 50 columns wide: the longest alias, on a line of its own, is not cut.
  po::options_description shown("options", 80, 50);
  for (const auto& description : options.options()) {
    const Spelling* spelling = spelling_of(*description);
    if (spelling && spelling->alias()) continue;
    std::string names = description->long_name();
    const std::string dashed =
        description->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (dashed.size() == 2 && dashed[0] == '-') names += std::string(",") + dashed[1];
    shown.add(boost::make_shared<po::option_description>(
        names.c_str(), new ParameterText(description->format_parameter()),
        description->description().c_str()));
  }
  return shown;
}

}  // namespace pipewise::tools
