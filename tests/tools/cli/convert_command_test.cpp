// End-to-end specification of `pipewise convert`: JSON ⇄ PyTorch text round trips.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

// Generates schedule `arguments` as pipewise JSON into `path` with `pipewise show`.
void write_generated_json(const std::string& arguments, const std::string& path) {
  const CliResult shown = run_pipewise("show " + arguments + " --format json");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  std::ofstream(path) << shown.out;
}

class ConvertRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvertRoundTrip, JsonToPytorchAndBackIsByteIdentical) {
  const ScratchDirectory scratch;
  const std::string original = scratch.file("original.json");
  write_generated_json(GetParam(), original);
  const CliResult to_text = run_pipewise("convert '" + original + "' '" + scratch.file("ranks.txt") + "'");
  ASSERT_EQ(to_text.exit_code, 0) << to_text.err;
  const CliResult back = run_pipewise("convert '" + scratch.file("ranks.txt") + "' '" + scratch.file("back.json") + "'");
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(read_whole_file(scratch.file("back.json")), read_whole_file(original));
  // The text is what `show --format pytorch` prints for the same schedule.
  EXPECT_EQ(read_whole_file(scratch.file("ranks.txt")),
            run_pipewise("show " + std::string(GetParam()) + " --format pytorch").out);
}

INSTANTIATE_TEST_SUITE_P(Schedules, ConvertRoundTrip,
                         ::testing::Values("-s 1f1b -p 4 -m 8", "-s interleaved -p 2 -v 2 -m 4",
                                           "-s pipedream -p 3 -m 4 -n 2", "-s gpipe -p 2 -m 3"));

TEST(ConvertCommand, PytorchCompatibleTextHasOnlyPytorchActions) {
  // 1F1B on p = 2, m = 2: rank 0 runs 0F0 0F1 0B0 0B1, rank 1 runs 1F0 1B0 1F1 1B1.
  const ScratchDirectory scratch;
  const std::string original = scratch.file("original.json");
  write_generated_json("-s 1f1b -p 2 -m 2", original);
  const CliResult result = run_pipewise("convert '" + original + "' - --to pytorch --pytorch-compatible");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "0F0,0F1,0B0,0B1\n1F0,1B0,1F1,1B1\n");
}

TEST(ConvertCommand, OutputFormatComesFromTheExtensionOrTo) {
  const ScratchDirectory scratch;
  const std::string original = scratch.file("original.json");
  write_generated_json("-s 1f1b -p 2 -m 2", original);
  const CliResult unknown = run_pipewise("convert '" + original + "' '" + scratch.file("out.bin") + "'");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("give --to json or --to pytorch"), std::string::npos) << unknown.err;
  EXPECT_FALSE(std::filesystem::exists(scratch.file("out.bin")));
  const CliResult explicit_form = run_pipewise("convert '" + original + "' '" + scratch.file("out.bin") + "' --to pytorch");
  ASSERT_EQ(explicit_form.exit_code, 0) << explicit_form.err;
  EXPECT_EQ(read_whole_file(scratch.file("out.bin")).rfind("# pipewise p=2", 0), 0u);
}

TEST(ConvertCommand, MalformedInputWritesNothing) {
  const ScratchDirectory scratch;
  const std::string original = scratch.file("original.json");
  write_generated_json("-s 1f1b -p 2 -m 2", original);
  const std::string text = read_whole_file(original);
  const std::string truncated = scratch.write("truncated.json", text.substr(0, text.size() / 2));
  const CliResult result = run_pipewise("convert '" + truncated + "' '" + scratch.file("out.txt") + "'");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("truncated.json"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(scratch.file("out.txt")));
}

}  // namespace
}  // namespace pipewise::tools::testing
