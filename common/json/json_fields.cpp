#include "common/json/json_fields.hpp"

#include <cmath>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"

namespace pipewise {

namespace {

// nlohmann's messages start with a tag such as "[json.exception.parse_error.101] ": drop it
// for one readable line.
std::string without_exception_tag(const std::string& message) {
  const auto end = message.find("] ");
  return message.rfind("[json.exception.", 0) == 0 && end != std::string::npos ? message.substr(end + 2)
                                                                               : message;
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(source + ": invalid JSON at byte " + std::to_string(error.byte) + ": " +
                without_exception_tag(error.what()));
  } catch (const nlohmann::json::exception& error) {
    // Valid syntax the parser still rejects, e.g. a number too large for a double (406).
    throw Error(source + ": invalid JSON: " + without_exception_tag(error.what()));
  }
}

JsonFields::JsonFields(const nlohmann::json& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) throw Error(path_ + " must be an object");
}

bool JsonFields::has(const char* key) const { return value_.contains(key); }

std::string JsonFields::path_of(const char* key) const { return path_ + "." + key; }

std::optional<double> JsonFields::number(const char* key) {
  read_.insert(key);
  if (!value_.contains(key)) return std::nullopt;
  const nlohmann::json& field = value_.at(key);
  if (!field.is_number()) throw Error(path_of(key) + " must be a number");
  const double number = field.get<double>();
  if (!std::isfinite(number)) throw Error(path_of(key) + " must be finite");
  return number;
}

std::optional<double> JsonFields::non_negative(const char* key) {
  const auto value = number(key);
  if (value && *value < 0) {
    throw Error(path_of(key) + " must be a number >= 0 (got " + format_number(*value) + ")");
  }
  return value;
}

std::optional<double> JsonFields::positive(const char* key) {
  const auto value = number(key);
  if (value && *value <= 0) {
    throw Error(path_of(key) + " must be a number > 0 (got " + format_number(*value) + ")");
  }
  return value;
}

std::optional<std::uint64_t> JsonFields::large_count(const char* key) {
  const auto value = number(key);
  if (!value) return std::nullopt;
  if (*value < 1 || *value > 9007199254740992.0 || std::floor(*value) != *value) {
    throw Error(path_of(key) + " must be a whole number >= 1 (got " + format_number(*value) +
                ")");
  }
  return static_cast<std::uint64_t>(*value);
}

std::optional<std::uint32_t> JsonFields::count(const char* key) {
  const auto value = large_count(key);
  if (!value) return std::nullopt;
  if (*value > UINT32_MAX) {
    throw Error(path_of(key) + " is too large (got " + std::to_string(*value) + ")");
  }
  return static_cast<std::uint32_t>(*value);
}

std::optional<bool> JsonFields::boolean(const char* key) {
  read_.insert(key);
  if (!value_.contains(key)) return std::nullopt;
  const nlohmann::json& field = value_.at(key);
  if (!field.is_boolean()) throw Error(path_of(key) + " must be true or false");
  return field.get<bool>();
}

std::optional<std::string> JsonFields::string(const char* key) {
  read_.insert(key);
  if (!value_.contains(key)) return std::nullopt;
  const nlohmann::json& field = value_.at(key);
  if (!field.is_string()) throw Error(path_of(key) + " must be a string");
  return field.get<std::string>();
}

const nlohmann::json* JsonFields::child(const char* key) {
  read_.insert(key);
  if (!value_.contains(key)) return nullptr;
  return &value_.at(key);
}

void JsonFields::finish() const {
  for (auto field = value_.begin(); field != value_.end(); ++field) {
    const std::string& key = field.key();
    if (!read_.count(key)) {
      std::string known;
      for (const auto& name : read_) known += (known.empty() ? "" : ", ") + name;
      throw Error("unknown field " + path_of(key.c_str()) + " (known here: " + known + ")");
    }
  }
}

}  // namespace pipewise
