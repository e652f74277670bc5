// Streaming reader of the JSON schedule form: a nlohmann::json SAX handler that fills the
// Schedule as the parser walks the text, so a schedule of 10^7 ops needs no document tree.
// Each event is checked against the one schema it may belong to, and the first event that
// does not fit throws pipewise::Error naming its path.
#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "common/io/json_schedule.hpp"
#include "common/ir/error.hpp"
#include "common/ir/weight_versions.hpp"

namespace pipewise {
namespace {

using json = nlohmann::json;

// What a JSON value is, as far as the schema cares.
enum class JsonType {
  Null,
  Boolean,
  NegativeInteger,
  UnsignedInteger,
  Float,
  String,
  Object,
  Array
};

std::string_view type_phrase(JsonType type) {
  switch (type) {
    case JsonType::Null: return "null";
    case JsonType::Boolean: return "a boolean";
    case JsonType::NegativeInteger: return "a negative integer";
    case JsonType::UnsignedInteger: return "an unsigned integer";
    case JsonType::Float: return "a non-integer number";
    case JsonType::String: return "a string";
    case JsonType::Object: return "an object";
    case JsonType::Array: return "an array";
  }
  return "a value";
}

struct JsonValue {
  JsonType type;
  std::uint64_t number = 0;           // for UnsignedInteger; 1 for a true Boolean
  const std::string* text = nullptr;  // for String
};

// The fields of one kind of object, in schema order; a field's index is its bit in a mask.
template <std::size_t N>
using FieldNames = std::array<std::string_view, N>;
constexpr FieldNames<5> kRootFields = {"schema", "version", "name", "problem", "programs"};
constexpr FieldNames<5> kProblemFields = {"devices", "chunks", "microbatches", "iterations",
                                          "placement"};
constexpr FieldNames<6> kOpFields = {"kind",      "stage",          "microbatch",
                                     "iteration", "weight_version", "overlap_next"};
enum RootField { kSchema, kVersion, kName, kProblem, kPrograms };
enum ProblemField { kDevices, kChunks, kMicrobatches, kIterations, kPlacement };
enum OpField { kKind, kStage, kMicrobatch, kIteration, kWeightVersion, kOverlapNext };

bool has_field(std::uint32_t mask, int field) { return (mask >> field & 1u) != 0; }

// Where the reader is in the document.
enum class Level { Document, Root, Problem, Programs, Program, Op, Done };

class ScheduleJsonReader {
 public:
  // nlohmann::json SAX interface: each returns true to go on; errors throw.
  bool null() { return value({JsonType::Null}); }
  bool boolean(bool flag) { return value({JsonType::Boolean, flag ? 1u : 0u}); }
  bool number_integer(json::number_integer_t number) {
    // The parser reports non-negative integers through number_unsigned.
    return value({number < 0 ? JsonType::NegativeInteger : JsonType::UnsignedInteger,
                  static_cast<std::uint64_t>(number)});
  }
  bool number_unsigned(json::number_unsigned_t number) {
    return value({JsonType::UnsignedInteger, number});
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return value({JsonType::Float});
  }
  bool string(json::string_t& text) { return value({JsonType::String, 0, &text}); }
  bool binary(json::binary_t&) { return value({JsonType::Null}); }  // not produced by JSON text
  bool start_object(std::size_t) { return value({JsonType::Object}); }
  bool start_array(std::size_t) { return value({JsonType::Array}); }
  bool key(json::string_t& name);
  bool end_object();
  bool end_array();
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& error);

  // The schedule, once the parser has accepted the whole text.
  Schedule finish();

 private:
  bool value(const JsonValue& value);
  void root_field(const JsonValue& value);
  void problem_field(const JsonValue& value);
  void op_field(const JsonValue& value);

  // Paths as messages name them: "problem.devices", "programs[1]", "programs[1][4].stage".
  std::string program_path(std::size_t device) const;
  std::string op_path() const;
  std::string field_path() const;
  [[noreturn]] void fail(const std::string& path, const std::string& message) const;
  [[noreturn]] void mistyped(const std::string& expected, JsonType got) const;
  std::uint64_t unsigned_field(const JsonValue& value, std::uint64_t max) const;
  const std::string& string_field(const JsonValue& value) const;

  Level level_ = Level::Document;
  int field_ = 0;  // index of the current key in its level's FieldNames
  std::uint32_t root_seen_ = 0;
  std::uint32_t problem_seen_ = 0;
  std::uint32_t op_seen_ = 0;
  Op op_;
  std::size_t ops_with_version_ = 0;
  std::string first_op_without_version_;
  Schedule schedule_;
};

bool ScheduleJsonReader::key(json::string_t& name) {
  const auto find = [&](const auto& names, std::uint32_t& seen) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] != name) continue;
      field_ = static_cast<int>(i);
      if (has_field(seen, field_)) fail(field_path(), "duplicate field");
      seen |= 1u << i;
      return;
    }
    const std::string prefix = level_ == Level::Root      ? ""
                               : level_ == Level::Problem ? "problem."
                                                          : op_path() + ".";
    fail(prefix + name, "unknown field");
  };
  switch (level_) {
    case Level::Root: find(kRootFields, root_seen_); break;
    case Level::Problem: find(kProblemFields, problem_seen_); break;
    default: find(kOpFields, op_seen_); break;  // only objects have keys
  }
  return true;
}

bool ScheduleJsonReader::value(const JsonValue& value) {
  switch (level_) {
    case Level::Document:
      if (value.type != JsonType::Object) {
        throw Error("expected a JSON object at the top level, got " +
                    std::string(type_phrase(value.type)));
      }
      level_ = Level::Root;
      break;
    case Level::Root: root_field(value); break;
    case Level::Problem: problem_field(value); break;
    case Level::Programs:
      if (value.type != JsonType::Array) {
        fail(program_path(schedule_.programs.size()),
             "expected an array of ops, got " + std::string(type_phrase(value.type)));
      }
      schedule_.programs.emplace_back();
      level_ = Level::Program;
      break;
    case Level::Program:
      if (value.type != JsonType::Object) {
        fail(op_path(), "expected an op object, got " + std::string(type_phrase(value.type)));
      }
      op_ = Op{};
      op_seen_ = 0;
      level_ = Level::Op;
      break;
    case Level::Op: op_field(value); break;
    case Level::Done: break;  // the parser rejects anything after the document
  }
  return true;
}

void ScheduleJsonReader::root_field(const JsonValue& value) {
  switch (field_) {
    case kSchema: {
      const std::string& schema = string_field(value);
      if (schema != kScheduleJsonSchema) {
        fail("schema", "expected \"" + std::string(kScheduleJsonSchema) + "\", got " +
                           json(schema).dump(-1, ' ', false, json::error_handler_t::replace));
      }
      break;
    }
    case kVersion: {
      const std::uint64_t version =
          unsigned_field(value, std::numeric_limits<std::uint64_t>::max());
      if (version != kScheduleJsonVersion) {
        fail("version", "unsupported version " + std::to_string(version) +
                            " (this pipewise reads version " +
                            std::to_string(kScheduleJsonVersion) + ")");
      }
      break;
    }
    case kName:
      schedule_.name = string_field(value);
      // A name is one line of text: control characters would garble every report showing it.
      if (std::any_of(schedule_.name.begin(), schedule_.name.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
          })) {
        fail("name", "a schedule name must not hold control characters");
      }
      break;
    case kProblem:
      if (value.type != JsonType::Object) mistyped("an object", value.type);
      level_ = Level::Problem;
      break;
    default:
      if (value.type != JsonType::Array) mistyped("an array of programs", value.type);
      level_ = Level::Programs;
      break;
  }
}

void ScheduleJsonReader::problem_field(const JsonValue& value) {
  constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  Problem& problem = schedule_.problem;
  switch (field_) {
    case kDevices:
      problem.devices = static_cast<std::uint32_t>(unsigned_field(value, kMax32));
      break;
    case kChunks: problem.chunks = static_cast<std::uint32_t>(unsigned_field(value, kMax32)); break;
    case kMicrobatches:
      problem.microbatches = static_cast<std::uint32_t>(unsigned_field(value, kMax32));
      break;
    case kIterations:
      problem.iterations = static_cast<std::uint32_t>(unsigned_field(value, kMax32));
      break;
    default: try { problem.placement = placement_from_name(string_field(value));
      } catch (const Error& error) {
        fail(field_path(), error.what());
      }
      break;
  }
}

void ScheduleJsonReader::op_field(const JsonValue& value) {
  constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  switch (field_) {
    case kKind: try { op_.kind = op_kind_from_json_name(string_field(value));
      } catch (const Error& error) {
        fail(field_path(), error.what());
      }
      break;
    case kStage:
      op_.stage = static_cast<std::uint16_t>(
          unsigned_field(value, std::numeric_limits<std::uint16_t>::max()));
      break;
    case kMicrobatch:
      op_.microbatch = static_cast<std::uint32_t>(unsigned_field(value, kMax32));
      break;
    case kIteration:
      op_.iteration = static_cast<std::uint32_t>(unsigned_field(value, kMax32));
      break;
    case kWeightVersion:
      op_.weight_version = static_cast<std::uint32_t>(unsigned_field(value, kMax32));
      break;
    default:
      if (value.type != JsonType::Boolean) mistyped("a boolean", value.type);
      op_.flags = value.number != 0 ? kOverlapWithNext : std::uint8_t{0};
      break;
  }
}

bool ScheduleJsonReader::end_object() {
  // Throws "PATH: missing field "NAME"" (or without "PATH: " at the top level).
  const auto require = [](const auto& names, std::uint32_t seen, std::initializer_list<int> fields,
                          const std::string& path) {
    for (const int field : fields) {
      if (has_field(seen, field)) continue;
      throw Error((path.empty() ? "" : path + ": ") + "missing field \"" +
                  std::string(names[static_cast<std::size_t>(field)]) + "\"");
    }
  };
  switch (level_) {
    case Level::Root:
      if (!has_field(root_seen_, kSchema) || !has_field(root_seen_, kVersion)) {
        throw Error(std::string("not a pipewise schedule: missing field \"") +
                    (has_field(root_seen_, kSchema) ? "version" : "schema") + "\"");
      }
      require(kRootFields, root_seen_, {kProblem, kPrograms}, "");
      level_ = Level::Done;
      break;
    case Level::Problem:
      require(kProblemFields, problem_seen_, {kDevices, kMicrobatches}, "problem");
      level_ = Level::Root;
      break;
    default:  // Level::Op
      require(kOpFields, op_seen_, {kKind, kStage, kMicrobatch, kIteration}, op_path());
      if (has_field(op_seen_, kWeightVersion)) {
        ++ops_with_version_;
      } else if (first_op_without_version_.empty()) {
        first_op_without_version_ = op_path();
      }
      schedule_.programs.back().push_back(op_);
      level_ = Level::Program;
      break;
  }
  return true;
}

bool ScheduleJsonReader::end_array() {
  level_ = level_ == Level::Program ? Level::Programs : Level::Root;
  return true;
}

bool ScheduleJsonReader::parse_error(std::size_t position, const std::string&,
                                     const nlohmann::detail::exception& error) {
  // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 2,
  // column 5: syntax error while parsing ..."; `position` counts the characters read, the
  // offending one included.
  std::string where;
  std::string detail = error.what();
  constexpr std::string_view kMarker = "parse error at ";
  if (const auto at = detail.find(kMarker); at != std::string::npos) {
    detail.erase(0, at + kMarker.size());
    const auto colon = detail.find(": ");
    if (colon != std::string::npos) {
      where = " (" + detail.substr(0, colon) + ")";
      detail.erase(0, colon + 2);
    }
  }
  for (char& c : detail) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  const std::size_t offset = position > 0 ? position - 1 : 0;
  throw Error("malformed JSON at byte " + std::to_string(offset) + where + ": " + detail);
}

Schedule ScheduleJsonReader::finish() {
  const Problem& problem = schedule_.problem;
  try {
    problem.check();
  } catch (const Error& error) {
    throw Error(std::string("problem: ") + error.what());
  }
  if (schedule_.programs.size() != problem.devices) {
    const std::size_t programs = schedule_.programs.size();
    throw Error("programs: " + std::to_string(programs) +
                (programs == 1 ? " program" : " programs") +
                " for p = " + std::to_string(problem.devices) + " devices");
  }
  for (std::size_t device = 0; device < schedule_.programs.size(); ++device) {
    const auto& program = schedule_.programs[device];
    for (std::size_t position = 0; position < program.size(); ++position) {
      const Op& op = program[position];
      std::string outside;
      if (op.stage >= problem.stages()) {
        outside =
            "stage " + std::to_string(op.stage) + " but p*v = " + std::to_string(problem.stages());
      } else if (op.microbatch >= problem.microbatches) {
        outside = "micro-batch " + std::to_string(op.microbatch) +
                  " but m = " + std::to_string(problem.microbatches);
      } else if (op.iteration >= problem.iterations) {
        outside = "iteration " + std::to_string(op.iteration) +
                  " but n = " + std::to_string(problem.iterations);
      }
      if (!outside.empty()) {
        throw Error("programs[" + std::to_string(device) + "][" + std::to_string(position) +
                    "]: op outside the problem (" + outside + ")");
      }
    }
  }
  if (ops_with_version_ > 0 && !first_op_without_version_.empty()) {
    throw Error(first_op_without_version_ +
                ": missing field \"weight_version\" (give it for every op or for none)");
  }
  if (ops_with_version_ == 0) {
    try {
      assign_weight_versions(schedule_);
    } catch (const Error& error) {
      throw Error(std::string("cannot derive weight versions: ") + error.what());
    }
  }
  return std::move(schedule_);
}

std::string ScheduleJsonReader::program_path(std::size_t device) const {
  return "programs[" + std::to_string(device) + "]";
}

// The op being read: the next one of the last program.
std::string ScheduleJsonReader::op_path() const {
  return program_path(schedule_.programs.size() - 1) + "[" +
         std::to_string(schedule_.programs.back().size()) + "]";
}

std::string ScheduleJsonReader::field_path() const {
  switch (level_) {
    case Level::Root: return std::string(kRootFields[static_cast<std::size_t>(field_)]);
    case Level::Problem:
      return "problem." + std::string(kProblemFields[static_cast<std::size_t>(field_)]);
    default: return op_path() + "." + std::string(kOpFields[static_cast<std::size_t>(field_)]);
  }
}

void ScheduleJsonReader::fail(const std::string& path, const std::string& message) const {
  throw Error(path + ": " + message);
}

void ScheduleJsonReader::mistyped(const std::string& expected, JsonType got) const {
  fail(field_path(), "expected " + expected + ", got " + std::string(type_phrase(got)));
}

std::uint64_t ScheduleJsonReader::unsigned_field(const JsonValue& value, std::uint64_t max) const {
  if (value.type != JsonType::UnsignedInteger) mistyped("an unsigned integer", value.type);
  if (value.number > max) {
    fail(field_path(), std::to_string(value.number) + " is more than " + std::to_string(max));
  }
  return value.number;
}

const std::string& ScheduleJsonReader::string_field(const JsonValue& value) const {
  if (value.type != JsonType::String) mistyped("a string", value.type);
  return *value.text;
}

}  // namespace

Schedule schedule_from_json(std::string_view text) {
  ScheduleJsonReader reader;
  json::sax_parse(text.begin(), text.end(), &reader);
  return reader.finish();
}

}  // namespace pipewise
