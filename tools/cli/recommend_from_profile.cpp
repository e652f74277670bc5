#include "tools/cli/recommend_from_profile.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"
#include "common/text/escaped_text.hpp"
#include "common/text/format.hpp"
#include "common/text/text_table.hpp"
#include "exec/model/mlp_config.hpp"
#include "tools/cli/configuration_chart.hpp"
#include "tools/cli/command_line.hpp"
#include "tools/cli/cost_file_input.hpp"
#include "tools/cli/model_options.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/range_expression.hpp"
#include "tools/cli/report_output.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

// How many configurations over the cap the answer shows: the fastest ones that beat the best
// that fits (or the fastest, when none fits).
constexpr std::size_t kOverCapShown = 3;
// How many of those that fit the picture draws.
constexpr std::size_t kChartFittingRows = 8;

// Refuses the flags recommend takes that mean nothing for a profiled model: the file
// describes the model, its micro-batch size and its machine, and the executor has no
// recomputation.
void refuse_model_flags(const po::variables_map& values) {
  std::optional<std::string> flag = given_model_flag(values, {"devices", "memory-cap", "global-batch-size"});
  for (const char* search_flag :
       {"recompute", "recompute-method", "recompute-num-layers", "target-bubble", "search", "exhaustive"}) {
    if (!flag && values.count(search_flag)) flag = search_flag;
  }
  if (flag) {
    throw Error("--" + *flag +
                " cannot be used with --costs: the cost file describes the model, its micro-batch "
                "size and its machine");
  }
}

// The whole number option `name`, from 1 to `most`; `meaning` says what it is when missing.
std::uint64_t required_whole(const po::variables_map& values, const char* name, std::uint64_t most,
                             const char* meaning) {
  if (!values.count(name)) throw Error(fmt::format("recommend --costs needs --{} {}", name, meaning));
  const std::int64_t value = values[name].as<std::int64_t>();
  if (value < 1 || static_cast<std::uint64_t>(value) > most) {
    throw Error(fmt::format("--{} must be a whole number from 1 to {} (got {})", name, most, value));
  }
  return static_cast<std::uint64_t>(value);
}

ProfiledSearch search_of(const po::variables_map& values) {
  ProfiledSearch search;
  search.devices = static_cast<std::uint32_t>(
      required_whole(values, "devices", 65536, "N (the devices to lay the model out on)"));
  search.global_batch =
      required_whole(values, "global-batch-size", UINT32_MAX, "SAMPLES (the samples per training step)");
  if (values.count("memory-cap")) {
    const double gib = values["memory-cap"].as<double>();
    if (!(gib > 0) || !std::isfinite(gib)) {
      throw Error("--memory-cap must be a finite number > 0 (got " + format_given(gib) + ")");
    }
    search.memory_cap_bytes = gib * kGiB;
  }
  if (values.count("schedules")) search.schedules = schedule_list(values["schedules"].as<std::string>(), "schedules");
  if (values.count("stages")) {
    search.stages = parse_range_expression(values["stages"].as<std::string>(), "stages", 1, 65536);
  }
  if (values.count("chunks")) {
    search.chunks = parse_range_expression(values["chunks"].as<std::string>(), "chunks", 1, 65536);
  }
  return search;
}

// The configurations the answer lists: the `top` fastest that fit, and those over the cap
// shown beside them.
struct Answers {
  std::vector<const ProfiledCandidate*> fitting;
  std::vector<const ProfiledCandidate*> over_cap;
};

Answers answers_of(const ProfiledRecommendation& recommendation, std::size_t top) {
  Answers answers;
  const auto& all = recommendation.candidates;
  for (std::size_t i = 0; i < recommendation.fitting && i < top; ++i) answers.fitting.push_back(&all[i]);
  for (std::size_t i = recommendation.fitting;
       i < recommendation.fitting + recommendation.exceeding && answers.over_cap.size() < kOverCapShown; ++i) {
    if (recommendation.fitting > 0 && all[i].step_ms >= all.front().step_ms) break;
    answers.over_cap.push_back(&all[i]);
  }
  return answers;
}

// Why configurations could not be predicted, the most frequent reason first.
std::vector<std::pair<std::string, std::size_t>> invalid_reasons(const ProfiledRecommendation& recommendation) {
  std::map<std::string, std::size_t> counts;
  for (const ProfiledCandidate& candidate : recommendation.candidates) {
    if (!candidate.validity.ok()) ++counts[candidate.validity.reason()];
  }
  std::vector<std::pair<std::string, std::size_t>> reasons(counts.begin(), counts.end());
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return reasons;
}

std::string origin_text(const sim::ProfileOrigin& origin, const std::string& costs_path) {
  return fmt::format(
      "the MLP {} ({} layers) profiled in {}: micro-batches of {} samples, {} optimizer, {} "
      "backend, {} ({} stages, {})",
      exec::widths_text(origin.widths), origin.layers.size(), printable(costs_path), origin.microbatch_size,
      origin.optimizer, origin.backend, origin.schedule, origin.model_stages,
      origin.processes > 1 ? std::to_string(origin.processes) + " MPI ranks" : std::string("one process"));
}

void add_candidate_row(TextTable& table, const ProfiledCandidate& candidate, const std::string& rank,
                       const ProfiledCandidate* best) {
  std::string versus = "-";  // nothing fits: nothing to compare with
  if (best != nullptr) {
    versus = &candidate == best ? "best" : format_signed_percent(candidate.step_ms / best->step_ms - 1.0);
  }
  table.add_row({rank, candidate.schedule, std::to_string(candidate.stages), std::to_string(candidate.chunks),
                 std::to_string(candidate.replicas), std::to_string(candidate.microbatches),
                 format_fixed(candidate.step_ms, 3), format_percent(candidate.bubble_ratio),
                 format_bytes(static_cast<double>(candidate.peak_bytes)) + " (device " +
                     std::to_string(candidate.peak_device) + ")",
                 versus});
}

TextTable candidate_table() {
  using Align = TextTable::Align;
  return TextTable({{"rank", Align::Right},
                    {"schedule", Align::Left},
                    {"p", Align::Right},
                    {"v", Align::Right},
                    {"d", Align::Right},
                    {"m", Align::Right},
                    {"step (ms)", Align::Right},
                    {"bubble", Align::Right},
                    {"peak memory", Align::Right},
                    {"vs best", Align::Right}});
}

// A warning when the CPU backend would run the best configuration's devices on more threads
// than this machine has cores: the profile timed ops that had a core each, so the measured
// step will be slower than predicted.
std::optional<std::string> core_warning(const ProfiledCandidate& best, const sim::ProfileOrigin& origin) {
  const unsigned cores = std::thread::hardware_concurrency();
  const std::uint64_t workers = std::uint64_t{best.stages} * best.replicas;
  if (origin.backend != "cpu" || cores == 0 || workers <= cores) return std::nullopt;
  return fmt::format("the best one runs {} devices on the CPU and this machine has {} cores: there its "
                     "ops would share cores, which the profile did not measure, and run slower than "
                     "predicted",
                     workers, cores);
}

std::string row_label(const ProfiledCandidate& candidate) {
  std::string label = fmt::format("{} p={}", candidate.schedule, candidate.stages);
  if (candidate.chunks > 1) label += fmt::format(" v={}", candidate.chunks);
  return label + fmt::format(" d={} m={}", candidate.replicas, candidate.microbatches);
}

// The best configuration's predicted timeline, at m = 2p when its m is larger (legible ops),
// or none when the schedule does not take that m.
std::optional<TimelinePicture> best_timeline(const sim::CostConfig& file, const std::string& path,
                                             const ProfiledCandidate& best) {
  const std::uint32_t shown = std::min(best.microbatches, 2 * best.stages);
  try {
    const PredictedRun predicted = predict_with_timeline(file, path, best, shown);
    SvgOptions options;
    options.width_px = kChartTimelineWidth;
    TimelinePicture picture;
    picture.drawing = timeline_drawing({*predicted.result.timeline}, options);
    picture.caption = shown == best.microbatches
                          ? "predicted timeline of the best configuration"
                          : fmt::format("predicted timeline of the best configuration at m = {} instead of {} "
                                        "(same schedule, p, v and costs; at the real m the steady phase is longer)",
                                        shown, best.microbatches);
    return picture;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::string profiled_recommendation_svg(const ProfiledRecommendation& recommendation, const ProfiledSearch& search,
                                        const sim::CostConfig& file, const std::string& costs_path) {
  const sim::ProfileOrigin& origin = *file.profile;
  ConfigurationChart chart;
  chart.title = "pipewise recommend --costs " + printable(costs_path);
  chart.subtitles.push_back(printable(origin_text(origin, costs_path)));
  chart.subtitles.push_back(fmt::format(
      "{} devices, global batch {} samples: {} configurations, {} predicted, {} fit{}", search.devices,
      search.global_batch, recommendation.candidates.size(), recommendation.fitting + recommendation.exceeding,
      recommendation.fitting,
      search.memory_cap_bytes ? " in " + format_bytes(*search.memory_cap_bytes) + " per device" : std::string()));
  chart.cap_bytes = search.memory_cap_bytes;
  const Answers answers = answers_of(recommendation, kChartFittingRows);
  for (const auto* group : {&answers.fitting, &answers.over_cap}) {
    for (const ProfiledCandidate* candidate : *group) {
      chart.rows.push_back({row_label(*candidate), candidate->step_ms, static_cast<double>(candidate->static_bytes),
                            static_cast<double>(candidate->peak_bytes), candidate->fits});
    }
  }
  if (!answers.fitting.empty()) chart.timeline = best_timeline(file, costs_path, *answers.fitting.front());
  return configuration_chart_svg(chart);
}

std::string profiled_recommendation_report(const ProfiledRecommendation& recommendation,
                                           const ProfiledSearch& search, const sim::ProfileOrigin& origin,
                                           const std::string& costs_path, std::size_t top) {
  const std::size_t predicted = recommendation.fitting + recommendation.exceeding;
  std::string text = "recommend for " + origin_text(origin, costs_path) + "\n";
  text += fmt::format(
      "{} devices (p x d), global batch {} samples, {}; {} configurations, {} predicted, {} fit\n"
      "predicted as `pipewise run --costs` predicts them (the simulator on the profile's costs)\n",
      search.devices, search.global_batch,
      search.memory_cap_bytes ? "memory cap " + format_bytes(*search.memory_cap_bytes) + " per device"
                              : std::string("no memory cap (--memory-cap GIB)"),
      recommendation.candidates.size(), predicted, recommendation.fitting);
  const Answers answers = answers_of(recommendation, top);
  const ProfiledCandidate* best = answers.fitting.empty() ? nullptr : answers.fitting.front();
  if (!answers.fitting.empty()) {
    TextTable table = candidate_table();
    for (std::size_t i = 0; i < answers.fitting.size(); ++i) {
      add_candidate_row(table, *answers.fitting[i], std::to_string(i + 1), best);
    }
    text += "\n" + table.render();
  }
  if (!answers.over_cap.empty()) {
    text += best != nullptr ? "\nfaster, but over the memory cap:\n" : "\nnone fits; the fastest over the memory cap:\n";
    TextTable table = candidate_table();
    for (const ProfiledCandidate* candidate : answers.over_cap) add_candidate_row(table, *candidate, "-", best);
    text += table.render();
  }
  const auto reasons = invalid_reasons(recommendation);
  if (!reasons.empty()) {
    text += fmt::format("\nnot predicted: {} configurations\n", recommendation.candidates.size() - predicted);
    for (const auto& [reason, count] : reasons) text += fmt::format("  {} x {}\n", count, reason);
  }
  if (best != nullptr) {
    text += "\nmeasure the best one beside this prediction:\n  " + run_command_line(*best, origin, costs_path) + "\n";
    if (const auto warning = core_warning(*best, origin)) text += "warning: " + *warning + "\n";
  }
  return text;
}

std::string profiled_recommendation_json(const ProfiledRecommendation& recommendation,
                                         const ProfiledSearch& search, const sim::ProfileOrigin& origin,
                                         const std::string& costs_path, std::size_t top) {
  using nlohmann::ordered_json;
  const auto candidate_json = [&](const ProfiledCandidate& candidate) {
    return ordered_json{{"schedule", candidate.schedule},
                        {"pipeline", candidate.stages},
                        {"chunks", candidate.chunks},
                        {"data", candidate.replicas},
                        {"microbatches", candidate.microbatches},
                        {"step_ms", candidate.step_ms},
                        {"bubble", candidate.bubble_ratio},
                        {"peak_bytes", candidate.peak_bytes},
                        {"peak_device", candidate.peak_device},
                        {"run", run_command_line(candidate, origin, costs_path)}};
  };
  const Answers answers = answers_of(recommendation, top);
  ordered_json fitting = ordered_json::array();
  for (std::size_t i = 0; i < answers.fitting.size(); ++i) {
    ordered_json entry{{"rank", i + 1}};
    entry.update(candidate_json(*answers.fitting[i]));
    fitting.push_back(std::move(entry));
  }
  ordered_json over_cap = ordered_json::array();
  for (const ProfiledCandidate* candidate : answers.over_cap) over_cap.push_back(candidate_json(*candidate));
  ordered_json warnings = ordered_json::array();
  if (!answers.fitting.empty()) {
    if (const auto warning = core_warning(*answers.fitting.front(), origin)) warnings.push_back(*warning);
  }
  ordered_json not_predicted = ordered_json::array();
  for (const auto& [reason, count] : invalid_reasons(recommendation)) {
    not_predicted.push_back({{"reason", reason}, {"count", count}});
  }
  const ordered_json document{
      {"schema", "pipewise.profiled-recommendation"},
      {"version", 1},
      {"costs", costs_path},
      {"profile",
       {{"backend", origin.backend},
        {"schedule", origin.schedule},
        {"processes", origin.processes},
        {"widths", origin.widths},
        {"microbatch_size", origin.microbatch_size},
        {"optimizer", origin.optimizer}}},
      {"devices", search.devices},
      {"global_batch", search.global_batch},
      {"memory_cap_bytes", search.memory_cap_bytes ? ordered_json(*search.memory_cap_bytes) : ordered_json(nullptr)},
      {"configurations", recommendation.candidates.size()},
      {"fitting", recommendation.fitting},
      {"exceeding", recommendation.exceeding},
      {"answers", std::move(fitting)},
      {"over_cap", std::move(over_cap)},
      {"not_predicted", std::move(not_predicted)},
      {"warnings", std::move(warnings)}};
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int recommend_from_profile_command(const po::variables_map& values) {
  refuse_model_flags(values);
  const std::string path = values["costs"].as<std::string>();
  const sim::CostConfig file = read_cost_file(path);
  const ProfiledSearch search = search_of(values);
  const std::string format = choice_option(values, "format", {"table", "json"});
  const std::size_t top = bounded_option(values, "top", 10, 1, 1000000);

  const ProfiledRecommendation recommendation = recommend_from_profile(file, printable(path), search);
  std::string report = format == "json"
                           ? profiled_recommendation_json(recommendation, search, *file.profile, path, top)
                           : profiled_recommendation_report(recommendation, search, *file.profile, path, top);
  if (recommendation.fitting > 0) {
    OutputSet outputs;
    add_report(outputs, values, std::move(report));
    if (values.count("svg")) {
      add_option_file(outputs, values, "svg", profiled_recommendation_svg(recommendation, search, file, path));
    }
    outputs.commit();
    return 0;
  }
  show_unanswered_report(values, std::move(report));  // what was tried, why nothing fits
  if (recommendation.exceeding == 0) {
    throw Error("no configuration could be predicted: " + invalid_reasons(recommendation).front().first);
  }
  throw Error("no configuration fits the " + format_bytes(*search.memory_cap_bytes) + " memory cap");
}

}  // namespace pipewise::tools
