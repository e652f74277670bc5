#pragma once
// Strict reading of a JSON object's fields for the CLI's input files: each read names the
// JSON path of a missing or mistyped field, and finish() rejects fields nobody read, so a
// typo in a file is an error instead of a silently ignored setting.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace pipewise {

// Parses `text` as JSON; throws pipewise::Error "SOURCE: invalid JSON at byte N: ..." for a
// syntax error or a truncated file, "SOURCE: invalid JSON: ..." for valid syntax it cannot
// hold (a number too large for a double).
nlohmann::json parse_json_text(const std::string& text, const std::string& source);

class JsonFields {
 public:
  // Reads the object `value` found at JSON path `path` (e.g. "$.device"). Throws
  // pipewise::Error when `value` is not an object.
  JsonFields(const nlohmann::json& value, std::string path);

  bool has(const char* key) const;
  // The path of a field, for messages: "$.device.memory_gib".
  std::string path_of(const char* key) const;

  // Each getter returns nullopt when the field is absent and throws pipewise::Error
  // "PATH must be ..." when it has the wrong type or range.
  std::optional<double> number(const char* key);                // finite
  std::optional<double> non_negative(const char* key);          // finite, >= 0
  std::optional<double> positive(const char* key);              // finite, > 0
  std::optional<std::uint32_t> count(const char* key);          // whole, 1 .. 2^32-1
  std::optional<std::uint64_t> large_count(const char* key);    // whole, 1 .. 2^53
  std::optional<bool> boolean(const char* key);
  std::optional<std::string> string(const char* key);
  // A field that must be an object or array; marks it read.
  const nlohmann::json* child(const char* key);

  // Throws pipewise::Error naming the first field that no getter asked for.
  void finish() const;

 private:
  const nlohmann::json& value_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace pipewise
