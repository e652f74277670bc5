// Regression tests for cost files that broke parse_cost_config (sim/cost_file.hpp), found
// by tests/fuzz/fuzz_cost_file.cpp. docs/reliability.md lists them.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "sim/cost_file.hpp"

namespace pipewise::sim {
namespace {

TEST(CostFileRegression, ANumberTooLargeForADoubleIsAOneLineErrorNamingIt) {
  // 1e400 is valid JSON syntax but overflows a double: nlohmann::json throws out_of_range
  // (406), not parse_error, and the parser let it escape as a non-pipewise exception.
  std::string message;
  try {
    parse_cost_config(R"({"compute": {"optimizer_step": 1e400}})");
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_NE(message.find("1e400"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace pipewise::sim
