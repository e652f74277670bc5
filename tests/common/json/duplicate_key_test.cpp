// The strict JSON reader refuses an object that names a key twice (issue 13): nlohmann
// alone keeps the last duplicate without a word, so {"layers": 24, "layers": 48} would have
// meant 48 in a model, cost or layer file.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/json/json_fields.hpp"

namespace pipewise {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_json_text(text, "in.json");
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(DuplicateKeys, AreRefusedWithTheirJsonPath) {
  EXPECT_EQ(error_of(R"({"layers": 24, "layers": 48})"),
            "in.json: $.layers is given twice (a JSON object names each key once)");
  EXPECT_EQ(error_of(R"({"device": {"memory_gib": 80, "memory_gib": 40}})"),
            "in.json: $.device.memory_gib is given twice (a JSON object names each key once)");
  EXPECT_EQ(error_of(R"({"stages": [{"stage": 0}, {"stage": 1, "stage": 2}]})"),
            "in.json: $.stages[1].stage is given twice (a JSON object names each key once)");
  EXPECT_EQ(error_of(R"({"a": [[1, 2], {"b": 1}], "c": {"d": [{"e": 1, "e": 1}]}})"),
            "in.json: $.c.d[0].e is given twice (a JSON object names each key once)");
}

TEST(DuplicateKeys, TheSameKeyInDifferentObjectsIsFine) {
  EXPECT_EQ(error_of(R"({"stages": [{"stage": 0}, {"stage": 1}], "stage": 3})"), "");
  EXPECT_EQ(parse_json_text(R"({"a": {"x": 1}, "b": {"x": 2}})", "").at("b").at("x"), 2);
}

TEST(JsonFieldStrings, WithControlCharactersAreRefused) {
  const nlohmann::json document = parse_json_text(R"({"name": "a\u001b[31mb"})", "");
  JsonFields fields(document, "$");
  try {
    fields.string("name");
    FAIL() << "a name with an escape sequence was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).rfind("$.name must be a string without control characters", 0), 0u)
        << error.what();
  }
}

}  // namespace
}  // namespace pipewise
