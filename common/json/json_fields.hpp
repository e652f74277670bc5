#pragma once
// The one strict reader of pipewise's JSON input files (model descriptions, layer lists,
// cost files): each read names the JSON path and the value of a missing or mistyped field,
// and finish() rejects fields nobody read, so a typo in a file is an error instead of a
// silently ignored setting.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ir/error.hpp"

namespace pipewise {

// Input files are a few levels deep; deeper nesting is refused before parsing, whose
// recursion it could otherwise exhaust the stack with.
inline constexpr int kMostJsonNesting = 32;

// Parses `text` as JSON. Throws pipewise::Error, prefixed "SOURCE: " (nothing when `source`
// is empty): "invalid JSON at byte N: ..." for a syntax error or a truncated file, "invalid
// JSON: ..." for valid syntax it cannot hold (a number too large for a double), "JSON
// nested deeper than 32 levels at byte N", "$.path.key is given twice" for an object that
// names a key twice (which nlohmann alone would resolve silently, keeping the last).
nlohmann::json parse_json_text(std::string_view text, const std::string& source);

// `value` as a message quotes it: its JSON, shortened to 40 characters.
std::string shown_json(const nlohmann::json& value);

class JsonFields {
 public:
  // Reads the object `value` found at JSON path `path` (e.g. "$.device"). Throws
  // pipewise::Error "PATH must be an object (got ...)" when it is not one.
  JsonFields(const nlohmann::json& value, std::string path);

  // Whether the field is present; asking makes it a known field (finish() lists it).
  bool has(const char* key) const;
  // The path of a field, for messages: "$.device.memory_gib".
  std::string path_of(const char* key) const;

  // Each getter marks the field read, returns nullopt when it is absent and throws
  // pipewise::Error "PATH must be ... (got VALUE)" when it has the wrong type or range.
  std::optional<double> number(const char* key);                // finite
  std::optional<double> non_negative(const char* key);          // finite, >= 0
  std::optional<double> positive(const char* key);              // finite, > 0
  std::optional<std::uint32_t> count(const char* key);          // whole, 1 .. 2^32-1
  std::optional<std::uint64_t> large_count(const char* key);    // whole, 1 .. 2^53
  std::optional<std::uint32_t> index(const char* key);          // whole, 0 .. 2^32-1
  std::optional<bool> boolean(const char* key);
  std::optional<std::string> string(const char* key);
  // A string that must be one of `allowed`.
  std::optional<std::string> choice(const char* key, std::initializer_list<const char*> allowed);
  // A field that must be an object or array, unchecked; marks it read.
  const nlohmann::json* child(const char* key);
  // A field that must be an array.
  const nlohmann::json* array(const char* key);

  // The value of a getter for a field that must be present: throws pipewise::Error
  // "PATH is missing" when `value` is nullopt.
  template <typename T>
  T required(std::optional<T> value, const char* key) const {
    if (!value) throw Error(path_of(key) + " is missing");
    return *std::move(value);
  }

  // Throws pipewise::Error "PATH is not a known field (expected one of ...)" naming the
  // first field that no getter asked for, and the fields the getters asked for.
  void finish() const;

 private:
  const nlohmann::json* field(const char* key);
  void note(const char* key) const;
  [[noreturn]] void wrong(const char* key, std::string_view expectation) const;

  const nlohmann::json& value_;
  std::string path_;
  // The fields asked for, in the order asked: a handful, so a linear search is fastest.
  mutable std::vector<std::string> read_;
};

}  // namespace pipewise
