// Regression tests for model descriptions that broke model_from_json (tools/model/model_json.hpp),
// found by tests/fuzz/fuzz_model_description.cpp. docs/reliability.md lists them.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "tools/model/model_json.hpp"

namespace pipewise::tools {
namespace {

TEST(ModelJsonRegression, ANumberTooLargeForADoubleIsAOneLineErrorNamingFileAndNumber) {
  // 1101e308 is valid JSON syntax but overflows a double: nlohmann::json throws out_of_range
  // (406), not parse_error, and parse_json_text let it escape as a non-pipewise exception.
  std::string message;
  try {
    model_from_json(R"({"layers": [{"count": 2, "forward_ms": 1101e308}]})", "model.json");
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_EQ(message.rfind("model.json: ", 0), 0u) << message;
  EXPECT_NE(message.find("1101e308"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace pipewise::tools
