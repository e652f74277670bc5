// The report writers: table, JSON, CSV, Chrome trace, SVG and ASCII.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "sim/metrics.hpp"
#include "common/timeline/ascii_timeline.hpp"
#include "common/timeline/chrome_trace.hpp"
#include "sim/report/csv_report.hpp"
#include "sim/report/json_report.hpp"
#include "common/timeline/svg_timeline.hpp"
#include "sim/report/table_report.hpp"
#include "common/schedules/registry.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using nlohmann::json;

struct RecordedRun {
  SimulationResult result;
  Metrics metrics;
};

// 1F1B with F = 1, B = 2, a 1 MB stash per micro-batch and 0.25 ms messages.
RecordedRun simulate_recorded(const Schedule& schedule, double latency_ms = 0.25) {
  CostConfig config;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  config.memory.activation_bytes_per_layer = 1 << 20;
  config.communication.latency_ms = latency_ms;
  const CostModel costs = resolve_costs(config, schedule.problem);
  SimulationOptions options;
  options.record_timeline = true;
  RecordedRun run{simulate(schedule, costs, options), {}};
  run.metrics = compute_metrics(run.result, costs);
  return run;
}

// A small XML well-formedness check: tags nest and close, attributes are quoted, and
// text holds no raw '<' or stray '&'. Returns "" or the first problem found.
std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      if (xml[i] == '&') {
        const std::size_t end = xml.find(';', i);
        if (end == std::string::npos || end - i > 6) return "stray & at " + std::to_string(i);
      }
      ++i;
      continue;
    }
    const std::size_t close = xml.find('>', i);
    if (close == std::string::npos) return "unclosed tag at " + std::to_string(i);
    std::string tag = xml.substr(i + 1, close - i - 1);
    i = close + 1;
    if (tag.front() == '?') continue;  // the XML declaration
    if (tag.front() == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return "mismatched </" + tag.substr(1) + ">";
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    const std::size_t name_end = tag.find_first_of(" \n");
    const std::string name = tag.substr(0, name_end);
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return "unbalanced quotes in <" + name + ">";
    if (tag.find('<') != std::string::npos) return "'<' inside <" + name + ">";
    if (!self_closing) open.push_back(name);
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

TEST(Reports, TableNamesEveryMetric) {
  const RecordedRun run = simulate_recorded(testing::one_f_one_b_schedule(4, 8), 0.0);
  const std::string table = metrics_table(run.metrics);
  EXPECT_NE(table.find("schedule 1f1b: p=4 v=1 m=8 n=1 placement=looped"), std::string::npos);
  EXPECT_NE(table.find("makespan                33.00 ms"), std::string::npos) << table;
  EXPECT_NE(table.find("bubble ratio            27.3%"), std::string::npos) << table;
  EXPECT_NE(table.find("bubble overhead         37.5%"), std::string::npos) << table;
  EXPECT_NE(table.find("speed-up over naive"), std::string::npos);
  EXPECT_NE(table.find("lower bound"), std::string::npos);
}

TEST(Reports, TableSaysWhenNoMemorySizesWereGiven) {
  const Schedule schedule = testing::one_f_one_b_schedule(2, 4);
  const std::string footnote = "peak memory 0 B: no sizes given";
  const RecordedRun sized = simulate_recorded(schedule, 0.0);
  EXPECT_EQ(metrics_table(sized.metrics).find(footnote), std::string::npos);

  CostConfig config;
  config.device_share = {1.0, 1.0, 1.0, 0.0};
  const CostModel costs = resolve_costs(config, schedule.problem);
  const Metrics unsized = compute_metrics(simulate(schedule, costs, {}), costs);
  EXPECT_NE(metrics_table(unsized).find(footnote), std::string::npos) << metrics_table(unsized);
}

TEST(Reports, JsonCarriesTheDocumentedFields) {
  const RecordedRun run = simulate_recorded(testing::one_f_one_b_schedule(4, 8), 0.0);
  const json report = json::parse(metrics_json(run.metrics, &*run.result.timeline));
  for (const char* field : {"schedule", "stages", "microbatches", "chunks", "makespan",
                            "bubble_ratio", "bubble_overhead", "throughput", "lower_bound",
                            "devices", "memory_timeline", "activation_lifetimes"}) {
    EXPECT_TRUE(report.contains(field)) << field;
  }
  EXPECT_EQ(report["schema"], "pipewise.simulation");
  EXPECT_EQ(report["schedule"], "1f1b");
  EXPECT_EQ(report["stages"], 4);
  EXPECT_DOUBLE_EQ(report["makespan"].get<double>(), 33.0);
  EXPECT_DOUBLE_EQ(report["bubble_ratio"].get<double>(), 3.0 / 11.0);
  ASSERT_EQ(report["devices"].size(), 4u);
  for (std::size_t d = 0; d < 4; ++d) {
    const json& device = report["devices"][d];
    for (const char* field : {"busy", "idle", "utilization", "peak_memory_bytes",
                              "peak_activations", "weight_versions"}) {
      EXPECT_TRUE(device.contains(field)) << field;
    }
    EXPECT_DOUBLE_EQ(device["busy"].get<double>(), 24.0);  // 8 · (1 + 2)
    EXPECT_EQ(device["peak_activations"], 4 - d);
  }
  EXPECT_EQ(report["activation_lifetimes"].size(), 32u);
  EXPECT_EQ(report["memory_timeline"].size(), 4u);
  // Without detail the bulky arrays are left out.
  EXPECT_FALSE(json::parse(metrics_json(run.metrics)).contains("memory_timeline"));
}

TEST(Reports, CsvHasOneRowPerDevice) {
  const RecordedRun run = simulate_recorded(testing::gpipe_schedule(3, 4), 0.0);
  std::istringstream lines(device_metrics_csv(run.metrics));
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4u);  // header + 3 devices
  const auto columns = [](const std::string& row) { return std::count(row.begin(), row.end(), ',') + 1; };
  EXPECT_EQ(columns(rows[0]), 21);
  for (std::size_t d = 1; d < rows.size(); ++d) EXPECT_EQ(columns(rows[d]), 21);
  EXPECT_EQ(rows[0].rfind("schedule,stages,chunks,microbatches,iterations,makespan_ms", 0), 0u);
  // GPipe p = 3, m = 4: makespan (4+2)·3 = 18 ms, device 0 busy 12 ms, 4 micro-batches held.
  EXPECT_EQ(rows[1].rfind("gpipe,3,1,4,1,18,", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find(",0,12,6,0,"), std::string::npos) << rows[1];
  // The last column dates the peak of stashes: device 0's fourth forward starts at 3 ms.
  EXPECT_EQ(rows[1].substr(rows[1].rfind(',') + 1), "3") << rows[1];
}

TEST(Reports, AsciiGridOfANaiveRun) {
  // p = 2, m = 1, F = 1, B = 2... here B = 1: F(0) 0-1, F(1) 1-2, B(1) 2-3, B(0) 3-4.
  Schedule schedule = testing::naive_schedule(2, 1);
  const CostModel costs(schedule.problem, StageCosts{1.0, 0.5, 0.5, 0.0});
  SimulationOptions options;
  options.record_timeline = true;
  const SimulationResult result = simulate(schedule, costs, options);
  // The shortest op (1 ms) gets 4 columns: 16 columns in all.
  EXPECT_EQ(ascii_timeline(*result.timeline),
            "d0 |F0  ........B0  |\n"
            "d1 |....F0  B0  ....|\n"
            "F forward  B backward  . idle   (1 column = 0.250 ms, 16 columns = 4.000 ms)\n");
}

TEST(Reports, ChromeTraceHasTracksFlowsAndCounters) {
  const RecordedRun run = simulate_recorded(testing::one_f_one_b_schedule(3, 4));
  Timeline measured = *run.result.timeline;
  measured.name = "measured";
  const json trace = json::parse(chrome_trace_json({*run.result.timeline, measured}));
  ASSERT_TRUE(trace.contains("traceEvents"));
  std::set<std::string> process_names;
  std::map<int, std::set<std::string>> thread_names;
  std::map<std::string, int> slices_by_category;
  std::map<std::uint64_t, std::pair<const json*, const json*>> flows;
  int counters = 0;
  std::vector<const json*> slices;
  for (const json& event : trace["traceEvents"]) {
    const std::string phase = event["ph"];
    if (phase == "M" && event["name"] == "process_name") process_names.insert(event["args"]["name"]);
    if (phase == "M" && event["name"] == "thread_name") {
      thread_names[event["pid"]].insert(event["args"]["name"].get<std::string>());
    }
    if (phase == "X") {
      EXPECT_GE(event["ts"].get<double>(), 0.0);
      EXPECT_GE(event["dur"].get<double>(), 0.0);
      EXPECT_TRUE(event.contains("cname"));
      ++slices_by_category[event["cat"]];
      slices.push_back(&event);
    }
    if (phase == "s") flows[event["id"]].first = &event;
    if (phase == "f") {
      EXPECT_EQ(event["bp"], "e");
      flows[event["id"]].second = &event;
    }
    if (phase == "C") ++counters;
  }
  EXPECT_EQ(process_names, (std::set<std::string>{"predicted", "measured"}));
  for (int pid : {1, 2}) {
    EXPECT_EQ(thread_names[pid], (std::set<std::string>{"device 0", "device 1", "device 2",
                                                        "link 0->1", "link 1->0", "link 1->2",
                                                        "link 2->1"}));
  }
  // Per timeline: 3 stages × 4 micro-batches of F and of B; 2 boundaries × 4 micro-batches
  // × 2 directions of messages, each with one arrow.
  EXPECT_EQ(slices_by_category["forward"], 2 * 12);
  EXPECT_EQ(slices_by_category["backward"], 2 * 12);
  EXPECT_EQ(slices_by_category["message"], 2 * 16);
  EXPECT_EQ(flows.size(), 2u * 16u);
  for (const auto& [id, ends] : flows) {
    ASSERT_TRUE(ends.first && ends.second) << "flow " << id;
    // Each end lies inside a slice on its own track, so viewers can bind it.
    for (const json* end : {ends.first, ends.second}) {
      bool inside = false;
      for (const json* slice : slices) {
        const double ts = (*end)["ts"].get<double>();
        const double start = (*slice)["ts"].get<double>();
        inside = inside || ((*slice)["pid"] == (*end)["pid"] && (*slice)["tid"] == (*end)["tid"] &&
                            ts >= start && ts <= start + (*slice)["dur"].get<double>());
      }
      EXPECT_TRUE(inside) << "flow " << id;
    }
  }
  EXPECT_GT(counters, 0);
}

TEST(Reports, SvgIsWellFormedAndLabelsFitTheirBlocks) {
  const RecordedRun small = simulate_recorded(testing::interleaved_schedule(4, 8, 2));
  const RecordedRun large = simulate_recorded(testing::one_f_one_b_schedule(16, 64));
  Timeline measured = *small.result.timeline;
  measured.name = "measured";
  // p = 16, m = 64 leaves blocks too narrow for most labels: those are dropped.
  for (const auto& [svg, some_labels_fit] :
       {std::pair{timeline_svg({*small.result.timeline, measured}), true},
        std::pair{timeline_svg({*large.result.timeline}), false}}) {
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    // A block's label is a centred <text> right after the block's <rect>; digits of the
    // 10 px label font are 5.56 px wide.
    std::size_t position = 0;
    int labels = 0;
    while ((position = svg.find("<text", position)) != std::string::npos) {
      const std::size_t previous = svg.rfind('<', position - 1);
      const std::size_t content = svg.find('>', position) + 1;
      const std::string tag = svg.substr(position, content - position);
      const std::string label = svg.substr(content, svg.find('<', content) - content);
      if (svg.compare(previous, 5, "<rect") == 0 &&
          tag.find("text-anchor=\"middle\"") != std::string::npos) {
        const double width = std::stod(svg.substr(svg.find("width=\"", previous) + 7));
        EXPECT_LE(static_cast<double>(label.size()) * 5.56, width) << "label " << label;
        ++labels;
      }
      position = content;
    }
    if (some_labels_fit) {
      EXPECT_GT(labels, 0);
    }
  }
  // Two sections for two timelines.
  const std::string both = timeline_svg({*small.result.timeline, measured});
  EXPECT_NE(both.find(">predicted<"), std::string::npos);
  EXPECT_NE(both.find(">measured<"), std::string::npos);
}

// DualPipeV p = 2, m = 4: each overlapped F&B pair is drawn as its two ops with one bar
// under both, and the legend says what the bar means.
TEST(Reports, SvgMarksOverlappedPairs) {
  const RecordedRun run =
      simulate_recorded(generate_schedule("dualpipe-v", Problem{2, 2, 4, 1, Placement::VShape}));
  std::size_t pairs = 0;
  for (const OpSpan& span : run.result.timeline->ops) pairs += overlaps_next(span.op) ? 1 : 0;
  ASSERT_GT(pairs, 0u);
  const std::string svg = timeline_svg({*run.result.timeline});
  EXPECT_EQ(xml_problem(svg), "");
  std::size_t bars = 0;
  for (std::size_t at = svg.find("stroke-width=\"3\""); at != std::string::npos;
       at = svg.find("stroke-width=\"3\"", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(bars, pairs + 1);  // one per marked op, one in the legend
  EXPECT_NE(svg.find("overlapped F&amp;B pair"), std::string::npos);
  const RecordedRun plain = simulate_recorded(testing::one_f_one_b_schedule(4, 8));
  EXPECT_EQ(timeline_svg({*plain.result.timeline}).find("overlapped"), std::string::npos);
}

// The x of the <text> element whose content is `content` in `svg`, or -1.
double text_x(const std::string& svg, const std::string& content) {
  const std::size_t at = svg.find(">" + content + "<");
  if (at == std::string::npos) return -1;
  const std::size_t tag = svg.rfind("<text", at);
  return std::stod(svg.substr(svg.find("x=\"", tag) + 3));
}

// Measured timelines hold sends and receives: the legend says what their blocks are, and
// it wraps onto a second line rather than run past the picture's right edge (zero-bubble
// kinds, communication and the hints do not fit one line of 1200 px).
TEST(Reports, SvgLegendNamesCommunicationAndWraps) {
  const RecordedRun run = simulate_recorded(generate_schedule("zbv", Problem{2, 2, 8, 1, Placement::VShape}));
  Timeline measured = *run.result.timeline;
  measured.name = "measured";
  OpSpan receive = measured.ops.front();
  receive.op.kind = OpKind::RecvActivation;
  measured.ops.push_back(receive);
  const std::string svg = timeline_svg({*run.result.timeline, measured});
  EXPECT_EQ(xml_problem(svg), "");
  const std::string entry = "send / receive (until its data is there)";
  const std::string hint = "paler = later chunk; numbers = micro-batch; gaps = bubbles";
  EXPECT_GT(text_x(svg, entry), 0) << svg;
  const double hint_x = text_x(svg, hint);
  ASSERT_GT(hint_x, 0);
  EXPECT_LE(hint_x + static_cast<double>(hint.size()) * 5.6, SvgOptions{}.width_px);
  EXPECT_GT(svg.rfind(">" + hint + "<"), svg.rfind(">" + entry + "<"));  // on the line below
  EXPECT_LT(hint_x, text_x(svg, entry));
  EXPECT_EQ(timeline_svg({*run.result.timeline}).find(entry), std::string::npos);
}

TEST(Reports, SvgRendersWithRsvgConvert) {
  if (std::system("command -v rsvg-convert > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "rsvg-convert is not installed";
  }
  const RecordedRun run = simulate_recorded(testing::one_f_one_b_schedule(4, 8));
  const std::string base = ::testing::TempDir() + "pipewise_sim_report_test";
  std::ofstream(base + ".svg") << timeline_svg({*run.result.timeline});
  const std::string command = "rsvg-convert " + base + ".svg -o " + base + ".png 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::ifstream png(base + ".png", std::ios::binary);
  char magic[4] = {};
  png.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  std::remove((base + ".svg").c_str());
  std::remove((base + ".png").c_str());
}

}  // namespace
}  // namespace pipewise::sim
