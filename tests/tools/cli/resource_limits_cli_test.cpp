// Resource limits at the command line: a schedule, or a model to run for real, that cannot
// fit in memory is refused before any work with the estimate on one line (a streamed one,
// too long to simulate, with its op count); absurd sizes get a clear error; a sweep
// skips the points that cannot fit, saying why, and runs the rest, and refuses a grid whose
// results alone cannot fit.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/resources/resource_limits.hpp"

#include "tests/tools/cli/cli_runner.hpp"

namespace pipewise::tools::testing {
namespace {

TEST(ResourceLimitsCli, SimulateRefusesAScheduleLargerThanMemoryWithTheEstimate) {
  // zb-h1 (whole schedules only) p=1024 m=10^9: 1.024e12 (stage, micro-batch) slots,
  // 3.072e12 + 1024 ops; 16 bytes per op + 17 per slot = 6.656e13 bytes = 60.5 TiB.
  const CliResult result = run_pipewise("simulate -s zb-h1 -p 1024 -m 1000000000");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("zb-h1 p=1024 v=1 m=1000000000 n=1 needs 60.5 TiB for its 3.1e+12 "
                            "ops; this machine has "),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(ResourceLimitsCli, SimulateRefusesAStreamedScheduleTooLongToSimulate) {
  // 1f1b streams in little memory, but 2.048e12 ops would take hours.
  const CliResult result = run_pipewise("simulate -s 1f1b -p 1024 -m 1000000000");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("1f1b p=1024 v=1 m=1000000000 n=1 has 2.0e+12 ops (2048000001024), "
                            "more than the 2^34 (17179869184) a streamed simulation takes"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(ResourceLimitsCli, AnAbsurdDeviceCountIsRefusedByItsBounds) {
  const CliResult result = run_pipewise("simulate -s 1f1b -p 1000000000 -m 8");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("--stages must be between 1 and 65536 (got 1000000000)"),
            std::string::npos)
      << result.err;
}

TEST(ResourceLimitsCli, RunRefusesAModelLargerThanMemoryBeforeAllocatingIt) {
  // Eight 65536 x 65536 layers: 8 * (2^32 + 2^16) parameters, 128.0 GiB in fp32, and as
  // much again for the gradients and twice for Adam's moments: 512.0 GiB. Then stashes of
  // 8 MiB per layer output (32 rows of 65536 floats): 2 micro-batches of 4 layers on device
  // 0, one of 4 layers and its input on device 1, 0.1 GiB; and the data set, 64 micro-batches
  // of 32 rows of 65536 floats and a label, 0.5 GiB: 512.6 GiB in all.
  const std::optional<std::uint64_t> available = available_memory_bytes();
  if (available && *available > (std::uint64_t{513} << 30)) {
    GTEST_SKIP() << "this machine could run the model: needs less than 513 GiB available";
  }
  const CliResult result = run_pipewise(
      "run -s 1f1b -p 2 -m 2 --optimizer adam "
      "--model 65536,65536,65536,65536,65536,65536,65536,65536,65536");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("1f1b p=2 v=1 m=2 n=1 with micro-batches of 32 samples needs "
                            "513 GiB for its model's"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("; this machine has "), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(ResourceLimitsCli, SweepSkipsThePointThatCannotFitAndRunsTheOthers) {
  // zb-h1 (whole schedules only) p=65536 m=2^20: 2^36 slots, 3·2^36 + 65536 ops (2.1e11);
  // 16 bytes per op + 17 per slot = 4.47e12 bytes = 4.06 TiB. 1f1b streams the same point
  // in little memory but has 1.4e11 ops, more than a streamed simulation takes. The other
  // points are small.
  const CliResult result = run_pipewise(
      "sweep -s zb-h1,1f1b -p 2,65536 -m 4,1048576 --threads 2 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json sweep = nlohmann::json::parse(result.out);
  ASSERT_EQ(sweep.at("points").size(), 8u);
  for (const nlohmann::json& point : sweep.at("points")) {
    const bool huge = point.at("p") == 65536 && point.at("m") == 1048576;
    EXPECT_EQ(point.at("status"), huge ? "skipped" : "ok") << point.dump();
    if (!huge) continue;
    const std::string reason = point.at("reason");
    const std::string expected =
        point.at("schedule") == "zb-h1"
            ? "zb-h1 p=65536 v=1 m=1048576 n=1 needs 4.06 TiB for its 2.1e+11 ops; this machine has "
            : "1f1b p=65536 v=1 m=1048576 n=1 has 1.4e+11 ops (137439019008), more than the "
              "2^34 (17179869184) a streamed simulation takes";
    EXPECT_EQ(reason.rfind(expected, 0), 0u) << reason;
  }
}

TEST(ResourceLimitsCli, SweepRefusesAGridWhoseResultsCannotFitUpFront) {
  // 65536 values of p times 2^20 of m: 6.9e10 points, whose result rows alone take
  // terabytes; the sweep must refuse before allocating them or simulating anything.
  const CliResult result = run_pipewise("sweep -s 1f1b -p 1..65536 -m 1..1048576");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find("a sweep of 6.9e+10 points needs "), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(" available"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace pipewise::tools::testing
