// `pipewise search`: the fastest schedule pipewise can find for given costs and a memory
// cap (tools/search), reported beside the best hand-written schedule and the lower bound,
// and written as a schedule file that simulate, run and PyTorch load.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/io/json_schedule.hpp"
#include "common/io/output_set.hpp"
#include "common/io/pytorch_text.hpp"
#include "common/ir/error.hpp"
#include "common/schedules/registry.hpp"
#include "common/text/escaped_text.hpp"
#include "common/text/format.hpp"
#include "common/text/text_table.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "sim/engine.hpp"
#include "sim/memory_estimate.hpp"
#include "tools/cli/command.hpp"
#include "tools/cli/command_line.hpp"
#include "tools/cli/cost_file_input.hpp"
#include "tools/cli/option_lists.hpp"
#include "tools/cli/option_vocabulary.hpp"
#include "tools/cli/report_output.hpp"
#include "tools/cli/simulation_cost_options.hpp"
#include "tools/search/schedule_search.hpp"
#include "tools/whatif/parallel_for.hpp"

namespace po = boost::program_options;

namespace pipewise::tools {
namespace {

constexpr const char* kUsage =
    "usage: pipewise search -p P -m M [-n N] [-v LIST] [--placement LIST]\n"
    "       [--forward-ms F --backward-ms B --backward-weight-ms W | --costs FILE] [cost flags]\n"
    "       [--memory-cap GIB|SCHEDULE] [-s LIST] [--threads T] [-f table|json] [-o FILE]\n"
    "       [--write-schedule FILE [--pytorch-compatible]] [--svg FILE] [--top K]\n"
    "Finds the schedule with the shortest simulated makespan for these costs whose every\n"
    "device stays under the memory cap: it simulates every hand-written schedule that\n"
    "accepts the problem and a list scheduler under a grid of policies (split backward,\n"
    "backward first, weight gradients in the gaps, stash limits, overlapped F&B pairs), on\n"
    "every shape of -v and --placement, and keeps the best. The answer is never slower than\n"
    "the best hand-written schedule tried; the report gives both, the lower bound and the\n"
    "gap to it. --memory-cap takes GiB, or a schedule's name: the peak that schedule needs\n"
    "with these costs (e.g. 1f1b: search within 1F1B's memory). The cost flags are\n"
    "simulate's (pipewise simulate --help): one device's share of the model, each of v\n"
    "chunks taking 1/v. A --costs file with per-stage times names the stages of one split\n"
    "of the model: then only shapes with p model stages are searched (v = 1 and\n"
    "bidirectional), unless -v or --placement picks another split. --write-schedule writes the winner as pipewise JSON (.json) or\n"
    "PyTorch text (.txt, .csv), for simulate --schedule-file, run --schedule-file or PyTorch.";

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

void add_search_options(po::options_description& options) {
  add_option(options, vocabulary::stages);
  add_option(options, vocabulary::microbatches);
  add_option(options, vocabulary::iterations, {.detail = "default 1"});
  add_option(options, vocabulary::chunks,
             {.kind = ValueKind::Text, .detail = "a comma-separated list of v to try (default 1,2)"});
  // clang-format off
  options.add_options()
      ("placement", po::value<std::string>(),
       "placements to try, comma-separated: looped, v-shape, bidirectional (the last two at "
       "v = 2 only; default all)");
  add_option(options, vocabulary::schedules,
             {.detail = "the hand-written schedules to compare (default: every synchronous one)"});
  options.add_options()
      ("memory-cap", po::value<std::string>(),
       "most memory per device: GiB, or a schedule name for that schedule's simulated peak");
  add_option(options, vocabulary::threads, {.detail = "default: the cores"});
  add_option(options, vocabulary::format, {.detail = "table or json", .default_value = "table"});
  add_option(options, vocabulary::output);
  options.add_options()
      ("write-schedule", po::value<std::string>(),
       "write the winner to FILE: pipewise JSON (.json) or PyTorch text (.txt, .csv)")
      ("pytorch-compatible", "with PyTorch text: only PyTorch's actions (see convert --help)")
      ("top", po::value<std::int64_t>(), "candidate rows in the table (default 10; all: 0)");
  add_option(options, vocabulary::svg, {.detail = "the winner's simulated timeline"});
  // clang-format on
  add_simulation_cost_options(options);
}

// True when `costs` name stages (per-stage, per-op or per-pair times): a stage index means
// one split of the model, p·v stages, or p with bidirectional placement (model_stages).
bool names_stages(const sim::CostConfig& costs) {
  return !costs.stages.empty() || !costs.ops.empty() || !costs.overlap.pairs.empty();
}

// The shapes to search: each v of -v on each placement of --placement that takes it. Costs
// that name stages describe one split of the model: the shapes given must all have the
// same number of model stages (else refused), and by default only those with p model
// stages (v = 1, bidirectional) are searched.
std::vector<Problem> shapes_from_options(const po::variables_map& values, const sim::CostConfig& costs) {
  if (!values.count("stages")) throw Error("--stages is required");
  if (!values.count("microbatches")) throw Error("--microbatches is required");
  Problem base;
  base.devices = bounded_option(values, "stages", 1, 1, 65536);
  base.microbatches = bounded_option(values, "microbatches", 1, 1, std::int64_t{1} << 31);
  base.iterations = bounded_option(values, "iterations", 1, 1, std::int64_t{1} << 31);

  std::vector<std::uint32_t> chunks = {1, 2};
  if (values.count("chunks")) {
    chunks.clear();
    for (const std::string& item : comma_separated(values["chunks"].as<std::string>(), "chunks")) {
      char* end = nullptr;
      const long value = std::strtol(item.c_str(), &end, 10);
      if (end == item.c_str() || *end != '\0' || value < 1 || value > 64) {
        throw Error("--chunks: \"" + printable(item) + "\" is not a chunk count between 1 and 64");
      }
      if (std::find(chunks.begin(), chunks.end(), value) == chunks.end()) chunks.push_back(static_cast<std::uint32_t>(value));
    }
  }
  std::vector<Placement> placements = {Placement::Looped, Placement::VShape, Placement::Bidirectional};
  if (values.count("placement")) {
    placements.clear();
    for (const std::string& item : comma_separated(values["placement"].as<std::string>(), "placement")) {
      const Placement placement = placement_from_name(item);
      if (std::find(placements.begin(), placements.end(), placement) == placements.end()) {
        placements.push_back(placement);
      }
    }
  }
  std::vector<Problem> shapes;
  for (const std::uint32_t v : chunks) {
    for (const Placement placement : placements) {
      if (placement != Placement::Looped && v != 2) continue;
      if (placement == Placement::Bidirectional && base.microbatches % 2 != 0) continue;
      Problem shape = base;
      shape.chunks = v;
      shape.placement = placement;
      shapes.push_back(shape);
    }
  }
  if (shapes.empty()) {
    throw Error("no shape to search: v-shape and bidirectional placement need v = 2 (and "
                "bidirectional an even m); add -v 2 or looped placement");
  }
  if (names_stages(costs)) {
    const bool chosen = values.count("chunks") || values.count("placement");
    const std::uint32_t model_stages = chosen ? shapes.front().model_stages() : base.devices;
    for (const Problem& shape : shapes) {
      if (chosen && shape.model_stages() != model_stages) {
        throw Error(fmt::format(
            "the cost file's per-stage times name stages of one split of the model, but the "
            "shapes searched split it into {} (v={} {}) and {} stages (v={} {}): give one -v "
            "and placements that split it alike",
            model_stages, shapes.front().chunks, placement_name(shapes.front().placement),
            shape.model_stages(), shape.chunks, placement_name(shape.placement)));
      }
    }
    std::erase_if(shapes, [&](const Problem& shape) { return shape.model_stages() != model_stages; });
  }
  return shapes;
}

// The simulated peak of the fullest device of hand-written schedule `name`, on the first
// of `shapes` it accepts: the cap "as much memory as NAME".
double peak_of_schedule(const std::string& name, const std::vector<Problem>& shapes,
                        const sim::CostConfig& costs) {
  for (const Problem& shape : shapes) {
    if (!schedule_accepts(name, shape).ok() || !sim::memory_to_simulate(name, shape).ok()) continue;
    const sim::SimulationResult run =
        sim::simulate(generate_schedule(name, shape), sim::resolve_costs(costs, shape));
    double peak = 0;
    for (const sim::DeviceStats& device : run.devices) peak = std::max(peak, static_cast<double>(device.peak_bytes));
    return peak;
  }
  throw Error("--memory-cap " + name + ": " + name + " accepts none of the shapes searched (" +
              schedule_accepts(name, shapes.front()).reason() + ")");
}

std::optional<double> memory_cap_from_options(const po::variables_map& values,
                                              const std::vector<Problem>& shapes,
                                              const sim::CostConfig& costs) {
  if (!values.count("memory-cap")) return std::nullopt;
  const std::string text = values["memory-cap"].as<std::string>();
  if (costs.memory.activation_bytes_per_layer == 0 && costs.communication.activation_bytes == 0) {
    throw Error("--memory-cap needs activations that cost memory: give --activation-bytes or "
                "--layer-activation-bytes (or a --costs file with them)");
  }
  char* end = nullptr;
  const double gib = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0') {
    if (!std::isfinite(gib) || gib <= 0) {
      throw Error("--memory-cap must be a number of GiB > 0 or a schedule name (got \"" + printable(text) + "\")");
    }
    return gib * kGiB;
  }
  std::string name;
  try {
    name = find_schedule(text).name;
  } catch (const Error& error) {
    throw Error(std::string("--memory-cap must be a number of GiB > 0 or a schedule name: ") + error.what());
  }
  return peak_of_schedule(name, shapes, costs);
}

std::string shape_text(const Problem& problem) {
  return fmt::format("v={} {}", problem.chunks, placement_name(problem.placement));
}

// Fastest first; those that did not run last, in the order tried.
std::vector<SearchCandidate> ranked(std::vector<SearchCandidate> candidates) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const SearchCandidate& a, const SearchCandidate& b) {
                     const bool ran_a = a.status.ok() || a.makespan_ms > 0;
                     const bool ran_b = b.status.ok() || b.makespan_ms > 0;
                     if (ran_a != ran_b) return ran_a;
                     if (a.fits != b.fits) return a.fits;
                     return ran_a && a.makespan_ms < b.makespan_ms;
                   });
  return candidates;
}

std::string search_table(const SearchResult& result, const std::optional<double>& cap,
                         std::size_t top) {
  const SearchCandidate& best = result.best;
  std::string out = fmt::format(
      "best: {}, {}\n  makespan {} ms, lower bound {} ms (gap {}), longest device span {} ms, "
      "peak {} per device{}\n",
      best.origin, shape_text(best.problem), format_ms(best.makespan_ms),
      format_ms(result.lower_bound_ms),
      result.gap_to_lower_bound ? format_percent(*result.gap_to_lower_bound) : "n/a",
      format_ms(result.longest_device_span_ms), format_bytes(best.peak_bytes),
      cap ? " (cap " + format_bytes(*cap) + ")" : "");
  if (result.best_named) {
    const SearchCandidate& named = *result.best_named;
    out += fmt::format("best hand-written: {}, {}: makespan {} ms, peak {}; the answer is {} faster\n",
                       named.origin, shape_text(named.problem), format_ms(named.makespan_ms),
                       format_bytes(named.peak_bytes),
                       format_percent(1 - best.makespan_ms / named.makespan_ms));
  } else {
    out += "best hand-written: none fits or accepts these inputs\n";
  }
  std::size_t simulated = 0;
  std::size_t fitting = 0;
  for (const SearchCandidate& candidate : result.candidates) {
    simulated += candidate.status.ok() || candidate.makespan_ms > 0;
    fitting += candidate.fits;
  }
  std::vector<std::string> shape_names;
  for (const SearchCandidate& candidate : result.candidates) {
    const std::string shape = shape_text(candidate.problem);
    if (std::find(shape_names.begin(), shape_names.end(), shape) == shape_names.end()) {
      shape_names.push_back(shape);
    }
  }
  const std::string shapes = fmt::format("{}", fmt::join(shape_names, ", "));
  out += fmt::format("searched {} candidates on {} in {:.2f} s: {} simulated, {} fit\n\n",
                     result.candidates.size(), shapes, result.seconds, simulated, fitting);

  TextTable table({{"#", TextTable::Align::Right},
                   {"schedule"},
                   {"shape"},
                   {"makespan ms", TextTable::Align::Right},
                   {"vs best", TextTable::Align::Right},
                   {"peak/device", TextTable::Align::Right},
                   {"note"}});
  const std::vector<SearchCandidate> rows = ranked(result.candidates);
  std::set<std::string> simulated_origins;
  // Why each schedule that ran on no shape refused them, one reason per shape.
  std::map<std::string, std::vector<std::string>> refusals;
  for (const SearchCandidate& row : rows) {
    if (row.status.ok() || row.makespan_ms > 0) {
      simulated_origins.insert(row.origin);
    } else {
      refusals[row.origin].push_back(row.status.reason());
    }
  }
  std::size_t shown = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SearchCandidate& row = rows[i];
    const bool ran = row.status.ok() || row.makespan_ms > 0;
    // Every hand-written schedule is listed: one that takes none of the shapes once, with
    // its reasons; list-scheduler rows up to `top`.
    if (!ran && simulated_origins.count(row.origin)) continue;
    if (!ran && row.named) {
      if (!refusals.count(row.origin)) continue;  // listed at its first shape
      table.add_row({std::to_string(i + 1), row.origin, "none of these", "-", "-", "-",
                     printable(fmt::format("{}", fmt::join(refusals[row.origin], "; ")))});
      refusals.erase(row.origin);
      continue;
    }
    if (!row.named && top != 0 && shown >= top) continue;
    if (!row.named) ++shown;
    table.add_row({std::to_string(i + 1), row.origin, shape_text(row.problem),
                   ran ? format_ms(row.makespan_ms) : "-",
                   ran ? format_signed_percent(row.makespan_ms / best.makespan_ms - 1) : "-",
                   ran ? format_bytes(row.peak_bytes) : "-",
                   row.fits ? "" : printable(row.status.reason())});
  }
  return out + table.render();
}

nlohmann::ordered_json candidate_json(const SearchCandidate& candidate) {
  const bool ran = candidate.status.ok() || candidate.makespan_ms > 0;
  nlohmann::ordered_json json = {{"origin", candidate.origin},
                                 {"hand_written", candidate.named},
                                 {"chunks", candidate.problem.chunks},
                                 {"placement", placement_name(candidate.problem.placement)},
                                 {"fits", candidate.fits}};
  json["makespan_ms"] = ran ? nlohmann::ordered_json(candidate.makespan_ms) : nullptr;
  json["peak_bytes"] = ran ? nlohmann::ordered_json(candidate.peak_bytes) : nullptr;
  json["reason"] = candidate.fits ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(candidate.status.reason());
  return json;
}

std::string search_json(const SearchResult& result, const std::optional<double>& cap) {
  nlohmann::ordered_json json;
  const Problem& problem = result.best.problem;
  json["problem"] = {{"stages", problem.devices}, {"microbatches", problem.microbatches},
                     {"iterations", problem.iterations}};
  json["memory_cap_bytes"] = cap ? nlohmann::ordered_json(*cap) : nullptr;
  json["best"] = candidate_json(result.best);
  json["best_hand_written"] = result.best_named ? candidate_json(*result.best_named) : nullptr;
  json["lower_bound_ms"] = result.lower_bound_ms;
  json["gap_to_lower_bound"] =
      result.gap_to_lower_bound ? nlohmann::ordered_json(*result.gap_to_lower_bound) : nullptr;
  json["longest_device_span_ms"] = result.longest_device_span_ms;
  json["seconds"] = result.seconds;
  nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
  for (const SearchCandidate& candidate : ranked(result.candidates)) candidates.push_back(candidate_json(candidate));
  json["candidates"] = std::move(candidates);
  return json.dump(2) + "\n";
}

// The winner in the form FILE's extension names.
std::string schedule_file_text(const Schedule& schedule, const std::string& path, bool pytorch_compatible) {
  const auto ends_with = [&](const std::string& tail) {
    return path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with(".json")) {
    if (pytorch_compatible) throw Error("--pytorch-compatible applies to PyTorch text (.txt, .csv) only");
    return schedule_to_json(schedule);
  }
  if (ends_with(".txt") || ends_with(".csv")) return schedule_to_pytorch_text(schedule, pytorch_compatible);
  throw Error("--write-schedule: cannot tell the form from \"" + printable(path) +
              "\": name it .json (pipewise JSON) or .txt/.csv (PyTorch text)");
}

int run_search(const std::vector<std::string>& args) {
  po::options_description options("options");
  add_search_options(options);
  po::variables_map values;
  if (parse_or_help(args, options, values, kUsage)) return 0;
  const std::string format = choice_option(values, "format", {"table", "json"});
  if (values.count("pytorch-compatible") && !values.count("write-schedule")) {
    throw Error("--pytorch-compatible needs --write-schedule");
  }
  const std::int64_t top = values.count("top") ? values["top"].as<std::int64_t>() : 10;
  if (top < 0) throw Error("--top must be >= 0 (0: every candidate)");

  SearchOptions search;
  search.costs = simulation_costs_from_options(values);
  search.shapes = shapes_from_options(values, search.costs);
  if (values.count("schedules")) search.named = schedule_list(values["schedules"].as<std::string>(), "schedules");
  for (const std::string& name : search.named) {
    if (find_schedule(name).asynchronous) {
      throw Error("--schedules: " + name + " is asynchronous; the search compares synchronous schedules");
    }
  }
  search.threads = bounded_option(values, "threads", default_thread_count(), 1, 1024);
  const std::optional<double> cap = memory_cap_from_options(values, search.shapes, search.costs);
  search.memory_cap_bytes = cap;
  for (const Problem& shape : search.shapes) {
    // A shape the cost file does not fit is refused with the file's name, as simulate does.
    if (values.count("costs")) resolve_costs_from(search.costs, shape, values["costs"].as<std::string>());
  }

  SearchResult result = search_schedule(search).value_or_throw();

  OutputSet outputs;
  if (values.count("write-schedule")) {
    const std::string path = values["write-schedule"].as<std::string>();
    outputs.add(path, schedule_file_text(result.schedule, path, values.count("pytorch-compatible") > 0),
                "--write-schedule");
  }
  if (values.count("svg")) {
    const sim::CostModel costs = sim::resolve_costs(search.costs, result.schedule.problem);
    sim::SimulationOptions simulation;
    simulation.record_timeline = true;
    simulation.timeline_name = "simulated " + result.best.origin;
    const sim::SimulationResult run = sim::simulate(result.schedule, costs, simulation);
    SvgOptions svg;
    svg.title = fmt::format("search: {}, {}, p={} m={}: makespan {} ms", result.best.origin,
                            shape_text(result.best.problem), result.best.problem.devices,
                            result.best.problem.microbatches, format_ms(result.best.makespan_ms));
    add_option_file(outputs, values, "svg", timeline_svg({*run.timeline}, svg));
  }
  add_report(outputs, values,
             format == "json" ? search_json(result, cap) : search_table(result, cap, static_cast<std::size_t>(top)));
  outputs.commit();
  return 0;
}

}  // namespace

Command search_command() {
  return {"search", "search for the fastest schedule under a memory cap, beside the hand-written ones",
          &run_search};
}

}  // namespace pipewise::tools
