#include "sim/cost_file.hpp"

#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::sim {
namespace {

using nlohmann::json;

std::string shown(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

void require_object(const json& value, const std::string& path) {
  if (!value.is_object()) throw Error(path + " must be an object (got " + shown(value) + ")");
}

void require_known_fields(const json& object, const std::string& path,
                          std::initializer_list<const char*> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (const char* name : known) found = found || key == name;
    if (!found) {
      std::string list;
      for (const char* name : known) list += (list.empty() ? "" : ", ") + std::string(name);
      throw Error(path + "." + key + " is not a known field (expected one of " + list + ")");
    }
  }
}

double non_negative(const json& value, const std::string& path) {
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
    throw Error(path + " must be a number >= 0 (got " + shown(value) + ")");
  }
  return value.get<double>();
}

std::uint32_t index_field(const json& object, const std::string& path, const char* name,
                          bool required) {
  if (!object.contains(name)) {
    if (required) throw Error(path + "." + name + " is missing");
    return 0;
  }
  const json& value = object.at(name);
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
      value.get<std::int64_t>() > 0xFFFFFFFFll) {
    throw Error(path + "." + name + " must be an integer >= 0 (got " + shown(value) + ")");
  }
  return static_cast<std::uint32_t>(value.get<std::int64_t>());
}

std::string string_field(const json& value, const std::string& path) {
  if (!value.is_string()) throw Error(path + " must be a string (got " + shown(value) + ")");
  return value.get<std::string>();
}

bool bool_field(const json& value, const std::string& path) {
  if (!value.is_boolean()) throw Error(path + " must be true or false (got " + shown(value) + ")");
  return value.get<bool>();
}

// Reads forward/backward/backward_input/backward_weight/optimizer_step from `object`.
ComputeOverride compute_fields(const json& object, const std::string& path) {
  ComputeOverride costs;
  const auto read = [&](const char* name, std::optional<double>& field) {
    if (object.contains(name)) field = non_negative(object.at(name), path + "." + name);
  };
  read("forward", costs.forward);
  read("backward", costs.backward);
  read("backward_input", costs.backward_input);
  read("backward_weight", costs.backward_weight);
  read("optimizer_step", costs.optimizer_step);
  return costs;
}

const json& array_at(const json& root, const char* name) {
  const json& value = root.at(name);
  if (!value.is_array()) {
    throw Error(std::string("$.") + name + " must be an array (got " + shown(value) + ")");
  }
  return value;
}

void read_stages(const json& root, CostConfig& config) {
  const json& entries = array_at(root, "stages");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string path = "$.stages[" + std::to_string(i) + "]";
    const json& entry = entries[i];
    require_object(entry, path);
    require_known_fields(entry, path, {"stage", "forward", "backward", "backward_input",
                                       "backward_weight", "optimizer_step"});
    config.stages.push_back({index_field(entry, path, "stage", true), compute_fields(entry, path)});
  }
}

void read_devices(const json& root, CostConfig& config) {
  const json& entries = array_at(root, "devices");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string path = "$.devices[" + std::to_string(i) + "]";
    const json& entry = entries[i];
    require_object(entry, path);
    require_known_fields(entry, path, {"device", "slowdown"});
    if (!entry.contains("slowdown")) throw Error(path + ".slowdown is missing");
    const double slowdown = non_negative(entry.at("slowdown"), path + ".slowdown");
    if (slowdown <= 0) throw Error(path + ".slowdown must be > 0 (got 0)");
    config.devices.push_back({index_field(entry, path, "device", true), slowdown});
  }
}

void read_ops(const json& root, CostConfig& config) {
  const json& entries = array_at(root, "ops");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string path = "$.ops[" + std::to_string(i) + "]";
    const json& entry = entries[i];
    require_object(entry, path);
    require_known_fields(entry, path, {"kind", "stage", "microbatch", "iteration", "time"});
    if (!entry.contains("kind")) throw Error(path + ".kind is missing");
    if (!entry.contains("time")) throw Error(path + ".time is missing");
    OpTimeOverride op;
    const std::string kind = string_field(entry.at("kind"), path + ".kind");
    if (kind == "forward") {
      op.kind = OpKind::Forward;
    } else if (kind == "backward") {
      op.kind = OpKind::Backward;
    } else if (kind == "backward_input") {
      op.kind = OpKind::BackwardInput;
    } else if (kind == "backward_weight") {
      op.kind = OpKind::BackwardWeight;
    } else {
      throw Error(path + ".kind must be forward, backward, backward_input or backward_weight (got \"" +
                  kind + "\")");
    }
    op.stage = index_field(entry, path, "stage", true);
    op.microbatch = index_field(entry, path, "microbatch", true);
    op.iteration = index_field(entry, path, "iteration", false);
    op.time_ms = non_negative(entry.at("time"), path + ".time");
    config.ops.push_back(op);
  }
}

void read_communication(const json& value, CommunicationCosts& comm) {
  const std::string path = "$.communication";
  require_object(value, path);
  require_known_fields(value, path,
                       {"latency", "bandwidth", "activation_bytes", "gradient_bytes", "mode"});
  if (value.contains("latency")) comm.latency_ms = non_negative(value.at("latency"), path + ".latency");
  if (value.contains("bandwidth")) {
    comm.bandwidth_gb_per_s = non_negative(value.at("bandwidth"), path + ".bandwidth");
  }
  if (value.contains("activation_bytes")) {
    comm.activation_bytes = non_negative(value.at("activation_bytes"), path + ".activation_bytes");
    comm.gradient_bytes = comm.activation_bytes;
  }
  if (value.contains("gradient_bytes")) {
    comm.gradient_bytes = non_negative(value.at("gradient_bytes"), path + ".gradient_bytes");
  }
  if (value.contains("mode")) {
    const std::string mode = string_field(value.at("mode"), path + ".mode");
    if (mode != "overlapped" && mode != "blocking") {
      throw Error(path + ".mode must be \"overlapped\" or \"blocking\" (got \"" + mode + "\")");
    }
    comm.mode = comm_mode_from_name(mode);
  }
}

void read_data_parallel(const json& value, DataParallelCosts& dp) {
  const std::string path = "$.data_parallel";
  require_object(value, path);
  require_known_fields(value, path, {"replicas", "latency", "bandwidth", "overlap"});
  if (value.contains("replicas")) {
    dp.replicas = index_field(value, path, "replicas", true);
    if (dp.replicas == 0) throw Error(path + ".replicas must be at least 1 (got 0)");
  }
  if (value.contains("latency")) dp.latency_ms = non_negative(value.at("latency"), path + ".latency");
  if (value.contains("bandwidth")) {
    dp.bandwidth_gb_per_s = non_negative(value.at("bandwidth"), path + ".bandwidth");
  }
  if (value.contains("overlap")) {
    dp.overlap_with_cooldown = bool_field(value.at("overlap"), path + ".overlap");
  }
}

void read_memory(const json& value, MemoryConfig& memory) {
  const std::string path = "$.memory";
  require_object(value, path);
  require_known_fields(value, path,
                       {"parameter_bytes", "optimizer", "optimizer_state_bytes", "layers",
                        "activation_bytes_per_layer", "working_set_factor",
                        "weight_gradient_fraction", "recompute"});
  const auto number = [&](const char* name, double& field) {
    if (value.contains(name)) field = non_negative(value.at(name), path + "." + name);
  };
  number("parameter_bytes", memory.parameter_bytes);
  number("layers", memory.layers);
  number("activation_bytes_per_layer", memory.activation_bytes_per_layer);
  number("working_set_factor", memory.working_set_factor);
  number("weight_gradient_fraction", memory.weight_gradient_fraction);
  if (memory.weight_gradient_fraction > 1) {
    throw Error(path + ".weight_gradient_fraction must be between 0 and 1");
  }
  if (value.contains("optimizer_state_bytes")) {
    memory.optimizer_state_bytes =
        non_negative(value.at("optimizer_state_bytes"), path + ".optimizer_state_bytes");
  }
  if (value.contains("optimizer")) {
    const std::string name = string_field(value.at("optimizer"), path + ".optimizer");
    if (name != "sgd" && name != "momentum" && name != "adam") {
      throw Error(path + ".optimizer must be \"sgd\", \"momentum\" or \"adam\" (got \"" + name +
                  "\")");
    }
    memory.optimizer = optimizer_from_name(name);
  }
  if (value.contains("recompute")) memory.recompute = bool_field(value.at("recompute"), path + ".recompute");
}

// A cost file is a few levels deep; deeper nesting is rejected before parsing, whose
// recursion it could otherwise exhaust the stack with.
constexpr int kMostNesting = 32;

void check_nesting(std::string_view text) {
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
      if (++depth > kMostNesting) {
        throw Error("not a cost file: JSON nested deeper than " + std::to_string(kMostNesting) +
                    " levels at byte " + std::to_string(i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

}  // namespace

CostConfig parse_cost_config(std::string_view text, const CostConfig& base) {
  check_nesting(text);
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    throw Error("not valid JSON at byte " + std::to_string(error.byte) + ": " +
                std::string(error.what()).substr(std::string(error.what()).rfind(':') + 2));
  } catch (const json::exception& error) {
    // e.g. a number too large for a double; the library's message follows its "[id] " tag.
    const std::string what = error.what();
    throw Error("not valid JSON: " + what.substr(what.find(']') + 2));
  }
  require_object(root, "$");
  require_known_fields(root, "$", {"schema", "version", "compute", "stages", "devices", "ops",
                                   "communication", "data_parallel", "memory"});
  if (root.contains("schema") && root.at("schema") != "pipewise.costs") {
    throw Error("$.schema must be \"pipewise.costs\" (got " + shown(root.at("schema")) + ")");
  }
  if (root.contains("version") && root.at("version") != 1) {
    throw Error("$.version must be 1 (got " + shown(root.at("version")) + ")");
  }
  CostConfig config = base;
  if (root.contains("compute")) {
    const json& compute = root.at("compute");
    require_object(compute, "$.compute");
    require_known_fields(compute, "$.compute", {"forward", "backward", "backward_input",
                                                "backward_weight", "optimizer_step"});
    config.device_share = compute_fields(compute, "$.compute")
                              .apply_to(config.device_share, "$.compute")
                              .value_or_throw();
  }
  if (root.contains("stages")) read_stages(root, config);
  if (root.contains("devices")) read_devices(root, config);
  if (root.contains("ops")) read_ops(root, config);
  if (root.contains("communication")) read_communication(root.at("communication"), config.communication);
  if (root.contains("data_parallel")) read_data_parallel(root.at("data_parallel"), config.data_parallel);
  if (root.contains("memory")) read_memory(root.at("memory"), config.memory);
  return config;
}

}  // namespace pipewise::sim
