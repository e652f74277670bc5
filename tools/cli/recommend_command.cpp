// `pipewise recommend`: the what-if analysis. From a model description (a preset, a JSON
// file or flags; GPT-3 175B on 64 A100-80GB devices by default) and a per-device
// memory cap, the pipeline configurations that train fastest without exceeding the cap.
#include <algorithm>
#include <chrono>

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/model_options.hpp"
#include "tools/model/model_presets.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/recompute_options.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/whatif/parallel_for.hpp"
#include "tools/cli/range_expression.hpp"
#include "tools/whatif/recommend.hpp"
#include "tools/cli/recommend_from_profile.hpp"
#include "tools/cli/recommend_json.hpp"
#include "tools/cli/recommend_report.hpp"
#include "tools/cli/recommend_search.hpp"
#include "tools/cli/recommend_svg.hpp"
#include "tools/cli/command_line.hpp"
#include "common/text/format.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise recommend [--model NAME|FILE] [model flags] [--memory-cap GIB]\n"
    "                          [-s LIST] [-p RANGE] [-v RANGE] [--recompute LIST]\n"
    "                          [--target-bubble R] [--top N] [-f table|json] [-o FILE]\n"
    "                          [--svg FILE]\n"
    "Searches the pipeline configurations of a model on its devices — schedule, pipeline\n"
    "size p, chunks v, data-parallel size d = devices / (p·t), micro-batch size b, m =\n"
    "global batch / (b·d), recomputation off/selective/full/block (full recomputation of\n"
    "the first N layers of each stage, every N) — simulates each one training\n"
    "step, and ranks those whose every device stays within the memory cap by step time.\n"
    "Each row says how it compares with the best (\"2.3% slower: larger bubble\"); faster\n"
    "configurations that exceed the cap are listed with the excess; rules of thumb the best\n"
    "one breaks (m >= 4p) are warned about; --target-bubble solves for the m that reaches a\n"
    "bubble ratio. With one stage (p = 1) it tries 1F1B alone unless -s names schedules.\n"
    "With no model arguments it analyses the default: GPT-3 175B on 64\n"
    "A100-80GB devices (pipewise recommend --model gpt3-175b --print-model shows it).\n"
    "Exits 1 when no configuration is valid or none fits.\n"
    "With --costs FILE (a cost file `pipewise profile` wrote) it recommends for the profiled\n"
    "MLP instead: every schedule (asynchronous ones when named), p dividing --devices, v, d =\n"
    "devices / p, m = --global-batch-size / (the profile's micro-batch size x d), each\n"
    "predicted exactly as `pipewise run --costs FILE` predicts it, ranked under --memory-cap\n"
    "(none by default), with the `pipewise run` command that measures the best one; d > 1\n"
    "needs a profile taken across replicas (mpirun, d > 1).\n"
    "Example: pipewise recommend --model bert-large --devices 16 --memory-cap 40 --svg out.svg";

// --recompute's list into `options`: the recomputations, and block:N's N.
void read_recompute_list(const po::variables_map& values, RecommendOptions& options) {
  const std::optional<std::string> list = recompute_text(values);
  if (!list) return;
  for (const std::string& text : comma_separated(*list, "recompute")) {
    const RecomputeSetting setting = recompute_setting_from_text(text);
    if (setting.layers != 0) {
      if (options.recompute_layers && *options.recompute_layers != setting.layers) {
        throw Error("--recompute lists block:" + std::to_string(*options.recompute_layers) + " and block:" +
                    std::to_string(setting.layers) + "; give one N, or block for every N");
      }
      options.recompute_layers = setting.layers;
    } else if (setting.recompute == Recompute::Block && options.recompute_layers) {
      throw Error("--recompute lists block and block:" + std::to_string(*options.recompute_layers) +
                  "; give one of them");
    }
    if (std::find(options.recompute.begin(), options.recompute.end(), setting.recompute) == options.recompute.end()) {
      options.recompute.push_back(setting.recompute);
    }
  }
}

int run_recommend(const std::vector<std::string>& args) {
  po::options_description options("options");
  std::string names;
  for (const auto& info : schedule_catalog()) names += (names.empty() ? "" : ", ") + info.name;
  add_option(options, vocabulary::schedules,
             {.detail = "default: the flushed ones with a full backward on looped placement "
                        "(all: every one, the zero-bubble and DualPipe family included); known: " +
                        names});
  add_option(options, vocabulary::stages,
             {.kind = ValueKind::Text,
              .detail = "a RANGE of sizes to consider such as 2..16 or pow2:1..64 (default: "
                        "every p dividing devices / t, at most the layer count)"});
  add_option(options, vocabulary::chunks,
             {.kind = ValueKind::Text,
              .detail = "for schedules with chunks, a RANGE (default: each v in 2..16 that "
                        "divides L / p, for p >= 2)"});
  add_option(options, vocabulary::recompute,
             {.detail = "here a list of those to consider, of off, selective, full, block (every "
                        "number of layers) and block:N (N layers per stage) (default: all, and for "
                        "models that are not transformers off and full); selective for transformers "
                        "only"});
  add_recompute_method_options(options);
  // clang-format off
  options.add_options()
      ("target-bubble", po::value<double>(),
       "solve for the m that reaches this bubble ratio (0 < R < 1) and add its micro-batch size")
      ("top", po::value<std::int64_t>()->default_value(10), "configurations to list")
      ("search",
       "also run the schedule search (pipewise search) on the best configuration's costs and "
       "say whether another schedule runs it faster")
      ("exhaustive",
       "simulate every configuration (default: skip those whose lower bound is already slower "
       "than every answer they could be; the answers are the same)");
  // clang-format on
  add_option(options, vocabulary::costs,
             {.detail = "recommend for the model a `pipewise profile` cost file measured (needs "
                        "--devices and --global-batch-size)"});
  add_option(options, vocabulary::format, {.detail = "table or json", .default_value = "table"});
  add_option(options, vocabulary::output);
  add_option(options, vocabulary::svg,
             {.detail = "step time and peak memory of the top configurations against the cap, "
                        "and the best one's timeline"});
  add_option(options, vocabulary::threads);
  add_model_options(options);
  po::variables_map values;
  const std::string usage = std::string(kUsage) + "\n\n" + model_presets_help();
  if (parse_or_help(args, options, values, usage.c_str())) return 0;
  if (values.count("costs")) return recommend_from_profile_command(values);

  const ModelDescription model = model_from_options(values, &default_model());
  if (print_model_if_asked(values, model)) return 0;
  RecommendOptions search;
  if (values.count("schedules")) search.schedules = schedule_list(values["schedules"].as<std::string>(), "schedules");
  if (values.count("stages")) {
    search.stages = parse_range_expression(values["stages"].as<std::string>(), "stages", 1, 65536);
  }
  if (values.count("chunks")) {
    search.chunks = parse_range_expression(values["chunks"].as<std::string>(), "chunks", 1, 65536);
  }
  read_recompute_list(values, search);
  if (values.count("target-bubble")) {
    const double target = values["target-bubble"].as<double>();
    if (!(target > 0 && target < 1)) {
      throw Error("--target-bubble must be between 0 and 1, exclusive (got " + format_number(target) + ")");
    }
    search.target_bubble = target;
  }
  const std::string format = choice_option(values, "format", {"table", "json"});
  const std::size_t top = bounded_option(values, "top", 10, 1, 1000000);
  search.threads = bounded_option(values, "threads", default_thread_count(), 1, 1024);
  search.exact_answers = std::max(top, values.count("svg") ? kSvgFittingRows : std::size_t{0});
  search.exhaustive = values.count("exhaustive") > 0;

  const auto start = std::chrono::steady_clock::now();
  const Recommendation recommendation = recommend(model, search);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::optional<Result<SearchResult>> found;
  if (values.count("search") && recommendation.fitting > 0) {
    found = search_best_configuration(model, recommendation.candidates.front(), search.threads);
  }
  std::string report = format == "json"
                           ? recommendation_json(model, recommendation, top, found ? &*found : nullptr)
                           : recommendation_report(model, recommendation, top, seconds);
  if (found && format != "json") report += schedule_search_section(recommendation.candidates.front(), *found);
  if (recommendation.fitting > 0) {
    OutputSet outputs;
    add_report(outputs, values, std::move(report));
    if (values.count("svg")) {
      add_option_file(outputs, values, "svg", recommendation_svg(model, recommendation));
    }
    outputs.commit();
    return 0;
  }
  // No answer: the report says what was tried and by how much each configuration exceeds
  // the cap.
  show_unanswered_report(values, std::move(report));
  if (recommendation.exceeding == 0) {
    throw Error("no valid configuration: " + recommendation.candidates.front().validity.reason());
  }
  throw Error("no configuration fits the " + format_bytes(model.device.hardware.memory_bytes) + " memory cap");
}

}  // namespace

Command recommend_command() {
  return {"recommend",
          "what-if: the fastest pipeline configurations of a model under a memory cap",
          &run_recommend};
}

}  // namespace pipewise::tools
