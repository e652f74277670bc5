// End-to-end specification of `pipewise partition`, on splits solved by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

TEST(PartitionCommand, BeatsTheGreedySplitWhereGreedyIsWrong) {
  // Layer times 2, 2, 2, 3 into 3 stages. Greedy fills each stage up to the mean 3: [2] [2]
  // and the rest [2, 3] = 5. The best bottleneck is 4: [2] [2, 2] [3] or [2, 2] [2] [3],
  // equally even (Σt² = 29); the earlier stage is kept smaller.
  const ScratchDirectory scratch;
  const std::string layers = scratch.write("layers.csv",
                                           "# times in ms\n"
                                           "name,forward_ms,backward_ms\n"
                                           "a,1,1\nb,1,1\nc,1,1\nd,1.5,1.5\n");
  const CliResult result = run_pipewise("partition --stages 3 --layers-file '" + layers + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("slowest stage 4.000 ms (mean 3.000 ms, 33.3% above it)"), std::string::npos)
      << result.out;
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\n +0 +0 +1 +2\.000 ms\n +1 +1-2 +2 +4\.000 ms\n +2 +3 +1 +3\.000 ms\n)")))
      << result.out;
  EXPECT_NE(result.out.find("greedy split (fill each stage up to the mean, in order): 0 | 1 | 2-3; slowest stage "
                            "5.000 ms (25.0% slower)"),
            std::string::npos)
      << result.out;
}

TEST(PartitionCommand, JsonGivesEachStagesLayersAndTime) {
  // The split of BeatsTheGreedySplitWhereGreedyIsWrong, as JSON.
  const ScratchDirectory scratch;
  const std::string layers =
      scratch.write("layers.csv", "name,forward_ms,backward_ms\na,1,1\nb,1,1\nc,1,1\nd,1.5,1.5\n");
  const CliResult result = run_pipewise("partition --stages 3 --format json --layers-file '" + layers + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json document = nlohmann::json::parse(result.out);
  EXPECT_EQ(document.at("schema"), "pipewise.partition");
  EXPECT_EQ(document.at("layers"), 4);
  EXPECT_TRUE(document.at("memory_cap_bytes").is_null());
  EXPECT_NEAR(document.at("slowest_ms").get<double>(), 4.0, 1e-12);
  EXPECT_NEAR(document.at("greedy_slowest_ms").get<double>(), 5.0, 1e-12);
  const nlohmann::json& stages = document.at("stages");
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[1].at("first_layer"), 1);
  EXPECT_EQ(stages[1].at("layer_count"), 2);
  EXPECT_NEAR(stages[2].at("time_ms").get<double>(), 3.0, 1e-12);
}

TEST(PartitionCommand, MemoryCapForcesAnUnevenSplit) {
  // Four layers of 1 ms with 1 GiB of activations each, two stages under 1F1B: stage 0
  // holds 2 micro-batches, stage 1 one. The even split needs 2·2 = 4 GiB on stage 0; with
  // a 3 GiB cap only [1 layer | 3 layers] fits (2 GiB and 3 GiB), bottleneck 3 ms.
  const ScratchDirectory scratch;
  const std::string layers = scratch.write("layers.json",
                                           R"([{"count": 4, "forward_ms": 1, "backward_ms": 0,
                                                "activation_bytes": 1073741824}])");
  const CliResult result =
      run_pipewise("partition --stages 2 --memory-cap 3 --layers-file '" + layers + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\n +0 +0 +1 +1\.000 ms +2\.00 GiB\n +1 +1-3 +3 +3\.000 ms +3\.00 GiB\n)")))
      << result.out;
}

TEST(PartitionCommand, ALayerLargerThanTheCapIsAnError) {
  const ScratchDirectory scratch;
  const std::string layers = scratch.write("layers.json",
                                           R"({"layers": [{"count": 2, "forward_ms": 1, "static_bytes": 1073741824}]})");
  const CliResult result = run_pipewise("partition --stages 2 --memory-cap 0.5 --layers-file '" + layers + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("layer 0 alone needs 1.00 GiB, more than the 512 MiB memory cap"), std::string::npos)
      << result.err;
}

TEST(PartitionCommand, TheLossMakesTheLastTransformerStageShorter) {
  // BERT-Large's 24 layers into 5 stages: the output layer over its 30522-token vocabulary
  // and the loss cost about two layers, so the last stage gets fewer layers than the others.
  const CliResult result = run_pipewise("partition --stages 5 --model bert-large");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(\n +0 +0-4 +5 [^\n]*\n(.*\n){3} +4 +21-23 +3 )")))
      << result.out;
}

TEST(PartitionCommand, WrittenCostsSimulateAsTheSplitSays) {
  // Layers with F = B = 1, 1, 1, 2 ms (times 2, 2, 2, 4) into 3 stages: [a] [b, c] [d], stage
  // F = B = 1, 2, 2 ms. One micro-batch through 1F1B on 3 devices runs every F, then every B:
  // 5 + 5 = 10 ms (the simulator's default costs would give 3·1 + 3·2 = 9).
  const ScratchDirectory scratch;
  const std::string layers = scratch.write("layers.csv", "forward_ms,backward_ms\n1,1\n1,1\n1,1\n2,2\n");
  const std::string costs = scratch.file("costs.json");
  const CliResult result =
      run_pipewise("partition --stages 3 --layers-file '" + layers + "' --write-costs '" + costs + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = nlohmann::json::parse(read_whole_file(costs));
  EXPECT_EQ(document.at("schema"), "pipewise.costs");
  ASSERT_EQ(document.at("stages").size(), 3u);
  EXPECT_DOUBLE_EQ(document.at("stages")[0].at("forward").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(document.at("stages")[1].at("forward").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(document.at("stages")[1].at("backward").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(document.at("stages")[2].at("forward").get<double>(), 2.0);
  const CliResult simulated = run_pipewise("simulate -s 1f1b -p 3 -m 1 --costs '" + costs + "' --format json");
  ASSERT_EQ(simulated.exit_code, 0) << simulated.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(simulated.out).at("makespan").get<double>(), 10.0);
}

// The device peaks `simulate` finds for 1F1B at p = S, m = 2S from the cost file at `costs`.
std::vector<double> simulated_peaks(const std::string& costs, std::uint32_t stages) {
  const CliResult simulated = run_pipewise("simulate -s 1f1b -p " + std::to_string(stages) + " -m " +
                                           std::to_string(2 * stages) + " --costs '" + costs + "' --format json");
  EXPECT_EQ(simulated.exit_code, 0) << simulated.err;
  const nlohmann::json document = nlohmann::json::parse(simulated.out);
  std::vector<double> peaks;
  for (const nlohmann::json& device : document.at("devices")) {
    peaks.push_back(device.at("peak_memory_bytes").get<double>());
  }
  return peaks;
}

// The written costs carry each stage's memory, so that simulating 1F1B on them finds the
// memory partition reports (stage k holding S - k micro-batches) rather than the
// simulator's defaults: a layer list's static bytes as weights plus its activations, and a
// model's memory as recommend counts it (under full recomputation, the largest layer's
// activations that its backward rebuilds too).
TEST(PartitionCommand, WrittenCostsCarryEachStagesMemory) {
  // Four layers with 1 GiB of weights and 1 GiB of activations each into 2 stages [2 | 2]:
  // stage 0 holds 2 micro-batches, 2 + 2·2 = 6 GiB; stage 1 one, 2 + 2 = 4 GiB.
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  const ScratchDirectory scratch;
  const std::string layers = scratch.write("layers.json",
                                           R"([{"count": 4, "forward_ms": 1, "backward_ms": 1,
                                                "static_bytes": 1073741824, "activation_bytes": 1073741824}])");
  const std::string list_costs = scratch.file("list-costs.json");
  const CliResult list = run_pipewise("partition --stages 2 --layers-file '" + layers + "' --write-costs '" +
                                      list_costs + "'");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(simulated_peaks(list_costs, 2), (std::vector<double>{6 * kGiB, 4 * kGiB}));
  // sweep reads the same bytes (not units of one micro-batch's activations).
  const CliResult swept = run_pipewise("sweep -s 1f1b -p 2 -m 4 --format csv --costs '" + list_costs + "'");
  ASSERT_EQ(swept.exit_code, 0) << swept.err;
  EXPECT_NE(swept.out.find(",6442450944"), std::string::npos) << swept.out;
  // The file describes a split into 2 stages: any other p·v is refused, not filled in with
  // the simulator's default stage times.
  const CliResult other = run_pipewise("simulate -s 1f1b -p 4 -m 8 --costs '" + list_costs + "'");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(line_count(other.err), 1u) << other.err;
  EXPECT_NE(other.err.find("the costs describe the model split into 2 stages and this problem has p*v = 4"),
            std::string::npos)
      << other.err;

  for (const char* recompute : {"off", "selective", "full"}) {
    const std::string model_costs = scratch.file(std::string("bert-") + recompute + ".json");
    const CliResult model = run_pipewise("partition --stages 4 --model bert-large --recompute " +
                                         std::string(recompute) + " -f json --write-costs '" + model_costs + "'");
    ASSERT_EQ(model.exit_code, 0) << model.err;
    const nlohmann::json stages = nlohmann::json::parse(model.out).at("stages");
    const std::vector<double> peaks = simulated_peaks(model_costs, 4);
    ASSERT_EQ(peaks.size(), stages.size());
    for (std::size_t k = 0; k < peaks.size(); ++k) {
      EXPECT_NEAR(peaks[k], stages[k].at("memory_bytes").get<double>(), 1e-9 * peaks[k])
          << recompute << ", stage " << k;
    }
  }
}

TEST(PartitionCommand, MalformedLayerListsNameTheLine) {
  const ScratchDirectory scratch;
  const std::string layers = scratch.write("layers.csv", "forward_ms,backward_ms\n1,1\n1,-2\n");
  const CliResult result = run_pipewise("partition --stages 2 --layers-file '" + layers + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("layers.csv:3: backward_ms must be a number >= 0 (got \"-2\")"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace pipewise::tools::testing
