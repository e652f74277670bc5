// End-to-end specification of `pipewise sweep`. Expected values are the textbook closed
// forms for uniform stages with F = 1 ms and B = 2 ms per micro-batch of a device's share:
// a flushed pipeline takes (v·m + p − 1)·(F + B)/v, idles (p − 1)/(v·m + p − 1) of the time,
// and device 0 stashes m micro-batches under GPipe, p under 1F1B.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <vector>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

using Row = std::map<std::string, std::string>;

// The CSV rows keyed by "schedule p v m".
std::map<std::string, Row> csv_rows(const std::string& csv) {
  std::istringstream stream(csv);
  std::string line;
  std::getline(stream, line);
  std::vector<std::string> header;
  std::istringstream header_stream(line);
  for (std::string cell; std::getline(header_stream, cell, ',');) header.push_back(cell);
  std::map<std::string, Row> rows;
  while (std::getline(stream, line)) {
    Row row;
    std::istringstream cells(line);
    std::string cell;
    for (const std::string& column : header) {
      if (column == "reason") {
        std::getline(cells, cell);  // the last column may hold quoted commas
      } else {
        std::getline(cells, cell, ',');
      }
      row[column] = cell;
    }
    rows[row["schedule"] + " " + row["p"] + " " + row["v"] + " " + row["m"]] = row;
  }
  return rows;
}

TEST(SweepCommand, OneFOneBFourStagesEightMicrobatchesHasBubbleThreeElevenths) {
  const CliResult result = run_pipewise("sweep -s 1f1b -p 4 -m 8 --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Row row = csv_rows(result.out).at("1f1b 4 1 8");
  EXPECT_EQ(row.at("status"), "ok");
  EXPECT_DOUBLE_EQ(std::stod(row.at("makespan_ms")), (8 + 4 - 1) * 3.0);  // 33 ms
  EXPECT_NEAR(std::stod(row.at("bubble_ratio")), 3.0 / 11.0, 1e-12);
  EXPECT_NEAR(std::stod(row.at("peak_memory")), 4.0, 1e-6);  // p stashes of A on device 0
  EXPECT_EQ(row.at("memory_unit"), "activations");
  EXPECT_EQ(row.at("peak_device"), "0");
}

TEST(SweepCommand, SmallGridMatchesClosedFormsAndSkipsChunksForUnchunkedSchedules) {
  const CliResult result =
      run_pipewise("sweep -s gpipe,1f1b,interleaved -p 2,4 -v 1..2 -m pow2:4..8 --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = csv_rows(result.out);
  ASSERT_EQ(rows.size(), 3u * 2 * 2 * 2);
  for (const double p : {2.0, 4.0}) {
    for (const double m : {4.0, 8.0}) {
      const std::string size = std::to_string(int(p)) + " 1 " + std::to_string(int(m));
      for (const char* schedule : {"gpipe", "1f1b", "interleaved"}) {
        const Row& row = rows.at(std::string(schedule) + " " + size);
        EXPECT_DOUBLE_EQ(std::stod(row.at("makespan_ms")), (m + p - 1) * 3) << schedule << " " << size;
        EXPECT_NEAR(std::stod(row.at("bubble_ratio")), (p - 1) / (m + p - 1), 1e-12);
      }
      EXPECT_NEAR(std::stod(rows.at("gpipe " + size).at("peak_memory")), m, 1e-6);
      EXPECT_NEAR(std::stod(rows.at("1f1b " + size).at("peak_memory")), p, 1e-6);
      // Interleaving with v = 2 halves the bubble term: (p − 1)/(2m + p − 1).
      const Row& interleaved = rows.at("interleaved " + std::to_string(int(p)) + " 2 " + std::to_string(int(m)));
      EXPECT_DOUBLE_EQ(std::stod(interleaved.at("makespan_ms")), (2 * m + p - 1) * 3 / 2);
      EXPECT_NEAR(std::stod(interleaved.at("bubble_ratio")), (p - 1) / (2 * m + p - 1), 1e-12);
      const Row& skipped = rows.at("1f1b " + std::to_string(int(p)) + " 2 " + std::to_string(int(m)));
      EXPECT_EQ(skipped.at("status"), "skipped");
      EXPECT_NE(skipped.at("reason").find("v must be 1"), std::string::npos) << skipped.at("reason");
    }
  }
  EXPECT_EQ(result.err, "");  // no progress bar when stderr is not a terminal
}

TEST(SweepCommand, TableListsSimulatedPointsAndGroupsSkippedOnes) {
  const CliResult result = run_pipewise("sweep -s 1f1b,gpipe -p 2 -v 1,2 -m 4");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("1f1b      2  1  4"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("20.0%"), std::string::npos);  // (2−1)/(4+2−1)
  EXPECT_NE(result.out.find(" 15.00 ms "), std::string::npos) << result.out;  // (4+2−1)·3 ms, as recommend writes times
  EXPECT_NE(result.out.find("4 points: 2 simulated, 2 skipped"), std::string::npos);
  EXPECT_NE(result.out.find("skipped 1 point: 1f1b has no model chunks: v must be 1"), std::string::npos)
      << result.out;
}

TEST(SweepCommand, JsonHoldsEveryPointWithItsStatus) {
  const CliResult result = run_pipewise("sweep -s 1f1b -p 2 -v 1,2 -m 3 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  EXPECT_EQ(document.at("schema"), "pipewise.sweep");
  ASSERT_EQ(document.at("points").size(), 2u);
  const auto& simulated = document.at("points")[0];
  EXPECT_EQ(simulated.at("status"), "ok");
  EXPECT_DOUBLE_EQ(simulated.at("makespan_ms").get<double>(), (3 + 2 - 1) * 3.0);
  EXPECT_EQ(document.at("points")[1].at("status"), "skipped");
  EXPECT_TRUE(document.at("points")[1].contains("reason"));
}

TEST(SweepCommand, ResultsDoNotDependOnTheNumberOfThreads) {
  const std::string grid = "sweep -p 1..6 -v 1..3 -m 1..12 --format csv";
  const CliResult one = run_pipewise(grid + " --threads 1");
  const CliResult two = run_pipewise(grid + " --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, two.out);
}

TEST(SweepCommand, CostFlagsScaleTheMakespan) {
  // F = 2, B = 6: a 1F1B pipeline of p = 3, m = 5 takes (5 + 2)·8 = 56 ms.
  const CliResult result = run_pipewise("sweep -s 1f1b -p 3 -m 5 --forward 2 --backward 6 --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_DOUBLE_EQ(std::stod(csv_rows(result.out).at("1f1b 3 1 5").at("makespan_ms")), 56.0);
}

TEST(SweepCommand, ModelCostsGiveMemoryInBytes) {
  // 4 layers of F = 1 ms, B = 2 ms, 1 MiB of stashed activations and no weights, on p = 2:
  // each stage holds 2 layers, so F = 2, B = 4 per micro-batch; 1F1B with m = 4 takes
  // (4 + 1)·6 = 30 ms and device 0 stashes p = 2 micro-batches of 2 MiB.
  const ScratchDirectory scratch;
  const std::string model = scratch.write("model.json", R"({
    "layers": [{"count": 4, "forward_ms": 1, "backward_ms": 2, "activation_bytes": 1048576}],
    "batch": {"global": 8, "micro": 1},
    "interconnect": {"bandwidth_gb_per_s": 0, "latency_us": 0}})");
  const CliResult result = run_pipewise("sweep -s 1f1b -p 2 -m 4 --format csv --model '" + model + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Row row = csv_rows(result.out).at("1f1b 2 1 4");
  EXPECT_DOUBLE_EQ(std::stod(row.at("makespan_ms")), 30.0);
  EXPECT_EQ(row.at("memory_unit"), "bytes");
  EXPECT_DOUBLE_EQ(std::stod(row.at("peak_memory")), 2 * 2 * 1048576.0);
}

TEST(SweepCommand, ModelCostsSplitDualPipesModelIntoPStagesOneCopyPerDirection) {
  // DualPipe on p = 2 splits the 4 layers into p = 2 model stages of 2 layers (F = 2,
  // B = 4 per micro-batch), each held twice (stage 0 and its mirror on the other device),
  // whatever its v: with m = 4 each device runs 2 stages x 2 micro-batches of F + B = 6 ms
  // without a bubble, 24 ms, and holds PP + 1 = 3 stashes of 2 MiB at its peak.
  const ScratchDirectory scratch;
  const std::string model = scratch.write("model.json", R"({
    "layers": [{"count": 4, "forward_ms": 1, "backward_ms": 2, "activation_bytes": 1048576}],
    "batch": {"global": 8, "micro": 1},
    "interconnect": {"bandwidth_gb_per_s": 0, "latency_us": 0}})");
  const CliResult result =
      run_pipewise("sweep -s dualpipe -p 2 -v 2 -m 4 --format csv --model '" + model + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Row row = csv_rows(result.out).at("dualpipe 2 2 4");
  ASSERT_EQ(row.at("status"), "ok") << row.at("reason");
  EXPECT_DOUBLE_EQ(std::stod(row.at("makespan_ms")), 24.0);
  EXPECT_DOUBLE_EQ(std::stod(row.at("peak_memory")), 3 * 2 * 1048576.0);
}

TEST(SweepCommand, SvgHeatmapsShowEveryCellWithItsNumber) {
  const ScratchDirectory scratch;
  const std::string svg = scratch.file("sweep.svg");
  const CliResult result = run_pipewise("sweep -s 1f1b,interleaved -p 2,4 -v 1,2 -m 4,8 --svg '" + svg + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string picture = read_whole_file(svg);
  ASSERT_EQ(picture.rfind("<?xml", 0), 0u) << picture.substr(0, 80);
  EXPECT_NE(picture.find("</svg>"), std::string::npos);
  EXPECT_NE(picture.find("27.3%"), std::string::npos);   // 1f1b p=4 m=8: 3/11
  EXPECT_NE(picture.find("interleaved   v = 2"), std::string::npos);
  EXPECT_NE(picture.find("linearGradient"), std::string::npos);  // the colour legend
}

// The README's sweep (61 values of m): narrower cells, and each memory heatmap under its
// bubble heatmap, so that the picture is about 2,500 px wide instead of 6,800.
TEST(SweepCommand, AWideGridStacksItsHeatmaps) {
  const ScratchDirectory scratch;
  const std::string svg = scratch.file("wide.svg");
  const CliResult result = run_pipewise("sweep -s 1f1b -p pow2:2..16 -m 4..64 --svg '" + svg + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string picture = read_whole_file(svg);
  std::smatch size;
  ASSERT_TRUE(std::regex_search(picture, size, std::regex(R"re(<svg [^>]*width="([0-9.]+)" height="([0-9.]+)")re")))
      << picture.substr(0, 300);
  EXPECT_LT(std::stod(size[1].str()), 2600);
  // Both heatmaps, the memory one lower on the page than the bubble one.
  const std::size_t bubble = picture.find(">bubble ratio<");
  const std::size_t memory = picture.find(">peak memory<");
  ASSERT_NE(bubble, std::string::npos);
  ASSERT_NE(memory, std::string::npos);
  const auto y_of = [&](std::size_t at) {
    const std::size_t tag = picture.rfind("<text", at);
    return std::stod(picture.substr(picture.find("y=\"", tag) + 3));
  };
  EXPECT_GT(y_of(memory), y_of(bubble) + 4 * 24);  // below its four rows of p
  EXPECT_NE(picture.find(">1.5%<"), std::string::npos);  // p = 2, m = 64: 1/65, in its cell
}

TEST(SweepCommand, MegatronAliasesNameTheSameGrid) {
  const CliResult ours = run_pipewise("sweep -s interleaved -p 2 -v 2 -m 4 --format csv");
  const CliResult megatron = run_pipewise(
      "sweep -s interleaved --pipeline-model-parallel-size 2 --virtual-pipeline-model-parallel-size 2 "
      "-m 4 --format csv");
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, megatron.out);
}

}  // namespace
}  // namespace pipewise::tools::testing
