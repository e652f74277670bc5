#include "common/json/json_fields.hpp"

#include <algorithm>
#include <cmath>

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

// Throws when `text` nests arrays and objects deeper than kMostJsonNesting.
void check_nesting(std::string_view text, const std::string& prefix) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMostJsonNesting) {
        throw Error(prefix + "JSON nested deeper than " + std::to_string(kMostJsonNesting) +
                    " levels at byte " + std::to_string(i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// Refuses an object that names one key twice while the parser builds the document:
// nlohmann keeps the last of duplicate keys without a word, so `{"layers": 24, "layers":
// 48}` would silently mean 48. Follows the parser's events to name the path of the key.
class DuplicateKeyCheck {
 public:
  explicit DuplicateKeyCheck(const std::string& prefix) : prefix_(prefix) {}

  bool operator()(int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        frames_.push_back({event == Event::array_start, {}, {}, 0});
        break;
      case Event::key: {
        Frame& object = frames_.back();
        const std::string key = parsed.get<std::string>();
        if (std::find(object.keys.begin(), object.keys.end(), key) != object.keys.end()) {
          throw Error(prefix_ + path() + "." + key + " is given twice (a JSON object names each key once)");
        }
        object.keys.push_back(key);
        object.current_key = key;
        break;
      }
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        [[fallthrough]];
      case Event::value:
        if (!frames_.empty() && frames_.back().is_array) ++frames_.back().index;
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_array;
    std::vector<std::string> keys;  // an input object's few keys: a linear search is fastest
    std::string current_key;
    std::size_t index;
  };

  // The JSON path of the innermost open object, "$.layers[2]".
  std::string path() const {
    std::string text = "$";
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      text += frames_[i].is_array ? "[" + std::to_string(frames_[i].index) + "]"
                                  : "." + frames_[i].current_key;
    }
    return text;
  }

  const std::string& prefix_;
  std::vector<Frame> frames_;
};

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& source) {
  const std::string prefix = source.empty() ? "" : source + ": ";
  check_nesting(text, prefix);
  try {
    return nlohmann::json::parse(text.begin(), text.end(), DuplicateKeyCheck(prefix));
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(prefix + "invalid JSON at byte " + std::to_string(error.byte) + ": " +
                without_exception_tag(error.what()));
  } catch (const nlohmann::json::exception& error) {
    // Valid syntax the parser still rejects, e.g. a number too large for a double (406).
    throw Error(prefix + "invalid JSON: " + without_exception_tag(error.what()));
  }
}

std::string shown_json(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

JsonFields::JsonFields(const nlohmann::json& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) throw Error(path_ + " must be an object (got " + shown_json(value_) + ")");
}

bool JsonFields::has(const char* key) const {
  note(key);
  return value_.contains(key);
}

void JsonFields::note(const char* key) const {
  if (std::find(read_.begin(), read_.end(), key) == read_.end()) read_.emplace_back(key);
}

std::string JsonFields::path_of(const char* key) const { return path_ + "." + key; }

const nlohmann::json* JsonFields::field(const char* key) {
  note(key);
  const auto found = value_.find(key);
  return found == value_.end() ? nullptr : &*found;
}

void JsonFields::wrong(const char* key, std::string_view expectation) const {
  throw Error(path_of(key) + " must be " + std::string(expectation) + " (got " +
              shown_json(value_.at(key)) + ")");
}

std::optional<double> JsonFields::number(const char* key) {
  const nlohmann::json* value = field(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number() || !std::isfinite(value->get<double>())) wrong(key, "a finite number");
  return value->get<double>();
}

std::optional<double> JsonFields::non_negative(const char* key) {
  const auto value = number(key);
  if (value && *value < 0) wrong(key, "a number >= 0");
  return value;
}

std::optional<double> JsonFields::positive(const char* key) {
  const auto value = number(key);
  if (value && *value <= 0) wrong(key, "a number > 0");
  return value;
}

std::optional<std::uint64_t> JsonFields::large_count(const char* key) {
  const auto value = number(key);
  if (!value) return std::nullopt;
  if (*value < 1 || *value > 9007199254740992.0 || std::floor(*value) != *value) {
    wrong(key, "a whole number >= 1");
  }
  return static_cast<std::uint64_t>(*value);
}

std::optional<std::uint32_t> JsonFields::count(const char* key) {
  const auto value = large_count(key);
  if (value && *value > UINT32_MAX) wrong(key, "a whole number from 1 to 4294967295");
  return value ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*value)) : std::nullopt;
}

std::optional<std::uint32_t> JsonFields::index(const char* key) {
  const nlohmann::json* value = field(key);
  if (value == nullptr) return std::nullopt;
  const bool whole = value->is_number_unsigned() ||
                     (value->is_number_integer() && value->get<std::int64_t>() >= 0);
  if (!whole || value->get<std::uint64_t>() > UINT32_MAX) {
    wrong(key, "an integer from 0 to 4294967295");
  }
  return static_cast<std::uint32_t>(value->get<std::uint64_t>());
}

std::optional<bool> JsonFields::boolean(const char* key) {
  const nlohmann::json* value = field(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) wrong(key, "true or false");
  return value->get<bool>();
}

std::optional<std::string> JsonFields::string(const char* key) {
  const nlohmann::json* value = field(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) wrong(key, "a string");
  std::string text = value->get<std::string>();
  // Names and choices are one line of text: a control character (a line break, an escape
  // sequence) would garble every report and message that shows them.
  const bool has_control = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (has_control) wrong(key, "a string without control characters");
  return text;
}

std::optional<std::string> JsonFields::choice(const char* key,
                                              std::initializer_list<const char*> allowed) {
  std::optional<std::string> value = string(key);
  if (!value) return value;
  std::string expected;  // "a", "b" or "c"
  std::size_t index = 0;
  for (const char* name : allowed) {
    if (*value == name) return value;
    if (index > 0) expected += index + 1 == allowed.size() ? " or " : ", ";
    expected += "\"" + std::string(name) + "\"";
    ++index;
  }
  wrong(key, expected);
}

const nlohmann::json* JsonFields::child(const char* key) { return field(key); }

const nlohmann::json* JsonFields::array(const char* key) {
  const nlohmann::json* value = field(key);
  if (value != nullptr && !value->is_array()) wrong(key, "an array");
  return value;
}

void JsonFields::finish() const {
  for (auto entry = value_.begin(); entry != value_.end(); ++entry) {
    const std::string& key = entry.key();
    if (std::find(read_.begin(), read_.end(), key) != read_.end()) continue;
    std::string known;
    for (const std::string& name : read_) known += (known.empty() ? "" : ", ") + name;
    throw Error(path_of(key.c_str()) + " is not a known field (expected one of " + known + ")");
  }
}

}  // namespace pipewise
