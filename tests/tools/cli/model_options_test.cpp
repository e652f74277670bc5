// The command-line form of a model description: flags override the fields of --model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

nlohmann::json printed_model(const std::string& arguments) {
  const CliResult result = run_pipewise("recommend " + arguments + " --print-model");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST(ModelOptions, MegatronFlagsOverrideThePreset) {
  const auto model = printed_model(
      "--model gpt3-175b --num-layers 48 --seq-length 4096 --global-batch-size 512 "
      "--micro-batch-size 1,2 --data-parallel-size 2 --tensor-model-parallel-size 4 --devices 128 "
      "--memory-cap 40 --no-distributed-optimizer");
  EXPECT_EQ(model.at("transformer").at("layers"), 48);
  EXPECT_EQ(model.at("transformer").at("hidden"), 12288);  // kept from the preset
  EXPECT_EQ(model.at("transformer").at("sequence"), 4096);
  EXPECT_EQ(model.at("batch").at("global"), 512);
  EXPECT_EQ(model.at("batch").at("micro"), nlohmann::json::array({1, 2}));
  EXPECT_EQ(model.at("parallelism").at("data"), 2);
  EXPECT_EQ(model.at("parallelism").at("tensor"), 4);
  EXPECT_EQ(model.at("device").at("count"), 128);
  EXPECT_DOUBLE_EQ(model.at("device").at("memory_bytes").get<double>(), 40.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(model.at("training").at("distributed_optimizer"), false);
}

TEST(ModelOptions, ASmallGlobalBatchKeepsThePresetsMicroBatchSizesThatFitInIt) {
  // llama3-8b searches micro-batch sizes 1 and 2; a global batch of 1 leaves size 1.
  const auto one = printed_model("--model llama3-8b --global-batch-size 1");
  EXPECT_EQ(one.at("batch").at("micro"), nlohmann::json::array({1}));
  const auto gpt = printed_model("--model gpt3-175b --global-batch-size 3");
  EXPECT_EQ(gpt.at("batch").at("micro"), nlohmann::json::array({1, 2}));
  // Sizes the user names are theirs: one over the global batch is refused.
  const CliResult named = run_pipewise("recommend --model llama3-8b --global-batch-size 1 --micro-batch-size 2");
  EXPECT_EQ(named.exit_code, 1);
  EXPECT_NE(named.err.find("micro-batch size 2 exceeds the global batch size 1"), std::string::npos) << named.err;
  // A model none of whose sizes fits says so, and what to give.
  const CliResult none = run_pipewise("recommend --model mlp-4block --global-batch-size 4");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("none of the model's micro-batch sizes (8, 16, 32, 64) fits in --global-batch-size 4: "
                          "give --micro-batch-size"),
            std::string::npos)
      << none.err;
}

TEST(ModelOptions, NoModelArgumentsMeanTheDefaultGpt3) {
  const auto model = printed_model("");
  EXPECT_EQ(model.at("name"), "gpt3-175b");
  EXPECT_EQ(model.at("transformer").at("layers"), 96);
  EXPECT_EQ(model.at("device").at("count"), 64);
}

TEST(ModelOptions, FlagsAloneDescribeUniformLayers) {
  // Measured at micro-batch size 4: per sample the forward takes 2 ms, the backward 4 ms.
  const auto model = printed_model(
      "--num-layers 6 --layer-forward-ms 8 --layer-activation-bytes 4e6 --layer-parameter-bytes 1e6 "
      "--measured-micro-batch-size 4");
  ASSERT_EQ(model.at("layers").size(), 1u);
  const auto& group = model.at("layers")[0];
  EXPECT_EQ(group.at("count"), 6);
  EXPECT_DOUBLE_EQ(group.at("forward_ms").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(group.at("backward_ms").get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(group.at("activation_bytes").get<double>(), 1e6);
  EXPECT_DOUBLE_EQ(group.at("parameter_bytes").get<double>(), 1e6);
}

TEST(ModelOptions, ATransformerFromFlagsNeedsItsWholeShape) {
  const CliResult result = run_pipewise("recommend --num-layers 4 --hidden-size 64 --seq-length 16");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("a transformer described by flags needs --num-attention-heads"), std::string::npos)
      << result.err;
}

TEST(ModelOptions, PrintedModelReadsBackAsTheSameModel) {
  const ScratchDirectory scratch;
  const CliResult first = run_pipewise("recommend --model bert-large --devices 16 --print-model");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string file = scratch.write("bert.json", first.out);
  const CliResult second = run_pipewise("recommend --model '" + file + "' --print-model");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
}

}  // namespace
}  // namespace pipewise::tools::testing
