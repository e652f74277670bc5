#include "sim/cost_file.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/ir/error.hpp"
#include "common/json/json_fields.hpp"

namespace pipewise::sim {
namespace {

using nlohmann::json;

// Reads forward/backward/backward_input/backward_weight/optimizer_step/stashing_step from
// `fields`.
ComputeOverride compute_fields(JsonFields& fields) {
  ComputeOverride costs;
  costs.forward = fields.non_negative("forward");
  costs.backward = fields.non_negative("backward");
  costs.backward_input = fields.non_negative("backward_input");
  costs.backward_weight = fields.non_negative("backward_weight");
  costs.optimizer_step = fields.non_negative("optimizer_step");
  costs.stashing_step = fields.non_negative("stashing_step");
  return costs;
}

// Calls read(entry_fields) for every object of the array at `key`, then checks that each
// entry has no unknown field.
template <typename Read>
void read_entries(JsonFields& root, const char* key, Read read) {
  const json* entries = root.array(key);
  if (entries == nullptr) return;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    JsonFields fields((*entries)[i], root.path_of(key) + "[" + std::to_string(i) + "]");
    read(fields);
    fields.finish();
  }
}

// Refuses a second entry for what an earlier one (at `first`'s path) already set: two
// overrides of one stage, device or op would otherwise apply one after the other (a
// slowdown twice), silently.
class RepeatCheck {
 public:
  void note(const std::string& key, const std::string& path, const char* what) {
    const auto [earlier, added] = first_.emplace(key, path);
    if (!added) {
      throw Error(path + " repeats " + earlier->second + ": give each " + what + " one entry");
    }
  }

 private:
  std::map<std::string, std::string> first_;
};

// The path of an array entry, from the path of one of its fields.
std::string entry_path(const JsonFields& entry, const char* field) {
  const std::string path = entry.path_of(field);
  return path.substr(0, path.size() - std::string_view(field).size() - 1);
}

// Reads a stage's memory fields (absolute bytes) from `fields`.
StageMemoryOverride stage_memory_fields(JsonFields& fields) {
  StageMemoryOverride memory;
  memory.parameter_bytes = fields.non_negative("parameter_bytes");
  memory.gradient_bytes = fields.non_negative("gradient_bytes");
  memory.optimizer_state_bytes = fields.non_negative("optimizer_state_bytes");
  memory.stash_bytes = fields.non_negative("stash_bytes");
  memory.checkpoint_bytes = fields.non_negative("checkpoint_bytes");
  memory.working_set_bytes = fields.non_negative("working_set_bytes");
  memory.step_working_bytes = fields.non_negative("step_working_bytes");
  return memory;
}

void read_stages(JsonFields& root, CostConfig& config) {
  RepeatCheck repeats;
  read_entries(root, "stages", [&](JsonFields& entry) {
    const std::uint32_t stage = entry.required(entry.index("stage"), "stage");
    repeats.note(std::to_string(stage), entry_path(entry, "stage"), "stage");
    ComputeOverride costs = compute_fields(entry);
    costs.recompute_forward = entry.non_negative("recompute_forward");
    config.stages.push_back({stage, costs, stage_memory_fields(entry)});
  });
}

void read_devices(JsonFields& root, CostConfig& config) {
  RepeatCheck repeats;
  read_entries(root, "devices", [&](JsonFields& entry) {
    const std::uint32_t device = entry.required(entry.index("device"), "device");
    repeats.note(std::to_string(device), entry_path(entry, "device"), "device");
    const double slowdown = entry.required(entry.positive("slowdown"), "slowdown");
    config.devices.push_back({device, slowdown});
  });
}

OpKind op_kind_named(const std::string& kind) {
  if (kind == "forward") return OpKind::Forward;
  if (kind == "backward") return OpKind::Backward;
  if (kind == "backward_input") return OpKind::BackwardInput;
  return OpKind::BackwardWeight;
}

void read_ops(JsonFields& root, CostConfig& config) {
  RepeatCheck repeats;
  read_entries(root, "ops", [&](JsonFields& entry) {
    OpTimeOverride op;
    op.kind = op_kind_named(entry.required(
        entry.choice("kind", {"forward", "backward", "backward_input", "backward_weight"}),
        "kind"));
    op.stage = entry.required(entry.index("stage"), "stage");
    op.microbatch = entry.required(entry.index("microbatch"), "microbatch");
    op.iteration = entry.index("iteration").value_or(0);
    op.time_ms = entry.required(entry.non_negative("time"), "time");
    repeats.note(std::to_string(static_cast<int>(op.kind)) + "/" + std::to_string(op.stage) + "/" +
                     std::to_string(op.microbatch) + "/" + std::to_string(op.iteration),
                 entry_path(entry, "kind"), "op");
    config.ops.push_back(op);
  });
}

void read_communication(JsonFields& fields, CommunicationCosts& comm) {
  comm.latency_ms = fields.non_negative("latency").value_or(comm.latency_ms);
  comm.bandwidth_gb_per_s = fields.non_negative("bandwidth").value_or(comm.bandwidth_gb_per_s);
  if (const auto bytes = fields.non_negative("activation_bytes")) {
    comm.activation_bytes = *bytes;
    comm.gradient_bytes = *bytes;
  }
  comm.gradient_bytes = fields.non_negative("gradient_bytes").value_or(comm.gradient_bytes);
  if (const auto mode = fields.choice("mode", {"overlapped", "blocking"})) {
    comm.mode = comm_mode_from_name(*mode);
  }
}

void read_data_parallel(JsonFields& fields, DataParallelCosts& dp) {
  dp.replicas = fields.count("replicas").value_or(dp.replicas);
  dp.latency_ms = fields.non_negative("latency").value_or(dp.latency_ms);
  dp.bandwidth_gb_per_s = fields.non_negative("bandwidth").value_or(dp.bandwidth_gb_per_s);
  dp.overlap_with_cooldown = fields.boolean("overlap").value_or(dp.overlap_with_cooldown);
  dp.sharded = fields.boolean("sharded").value_or(dp.sharded);
}

void read_overlap(JsonFields& fields, OverlapCosts& overlap) {
  overlap.efficiency = fields.non_negative("efficiency").value_or(overlap.efficiency);
  if (overlap.efficiency > 1) {
    throw Error(fields.path_of("efficiency") + " must be between 0 and 1");
  }
  read_entries(fields, "pairs", [&](JsonFields& entry) {
    PairTimeOverride pair;
    pair.forward_stage = entry.required(entry.index("forward_stage"), "forward_stage");
    pair.backward_stage = entry.required(entry.index("backward_stage"), "backward_stage");
    pair.time_ms = entry.required(entry.non_negative("time"), "time");
    overlap.pairs.push_back(pair);
  });
}

void read_memory(JsonFields& fields, MemoryConfig& memory) {
  memory.parameter_bytes = fields.non_negative("parameter_bytes").value_or(memory.parameter_bytes);
  if (const auto name = fields.choice("optimizer", {"sgd", "momentum", "adam"})) {
    memory.optimizer = optimizer_from_name(*name);
  }
  if (const auto gradients = fields.non_negative("gradient_bytes")) {
    memory.gradient_bytes = *gradients;
  }
  if (const auto state = fields.non_negative("optimizer_state_bytes")) {
    memory.optimizer_state_bytes = *state;
  }
  memory.layers = fields.non_negative("layers").value_or(memory.layers);
  memory.activation_bytes_per_layer =
      fields.non_negative("activation_bytes_per_layer").value_or(memory.activation_bytes_per_layer);
  memory.working_set_factor =
      fields.non_negative("working_set_factor").value_or(memory.working_set_factor);
  memory.weight_gradient_fraction =
      fields.non_negative("weight_gradient_fraction").value_or(memory.weight_gradient_fraction);
  if (memory.weight_gradient_fraction > 1) {
    throw Error(fields.path_of("weight_gradient_fraction") + " must be between 0 and 1");
  }
  memory.recompute = fields.boolean("recompute").value_or(memory.recompute);
  memory.step_working_bytes =
      fields.non_negative("step_working_bytes").value_or(memory.step_working_bytes);
}

// A "profile" section's compute times (contention factors or one layer's times): every
// field required, so a measured file is complete, but the stashing step (files written before
// it was measured have none).
StageCosts measured_costs(JsonFields& fields) {
  StageCosts costs;
  costs.forward = fields.required(fields.non_negative("forward"), "forward");
  costs.backward_input = fields.required(fields.non_negative("backward_input"), "backward_input");
  costs.backward_weight = fields.required(fields.non_negative("backward_weight"), "backward_weight");
  costs.optimizer_step = fields.required(fields.non_negative("optimizer_step"), "optimizer_step");
  costs.stashing_step = fields.non_negative("stashing_step");
  return costs;
}

void read_profile(JsonFields& fields, ProfileOrigin& origin) {
  origin.backend = fields.required(fields.choice("backend", {"cpu", "cuda"}), "backend");
  origin.schedule = fields.required(fields.string("schedule"), "schedule");
  origin.processes = fields.count("processes").value_or(1);
  origin.microbatch_size = fields.required(fields.count("microbatch_size"), "microbatch_size");
  origin.optimizer =
      fields.required(fields.choice("optimizer", {"sgd", "momentum", "adam"}), "optimizer");
  origin.model_stages = fields.required(fields.count("model_stages"), "model_stages");
  const json* widths = fields.array("widths");
  if (widths == nullptr || widths->size() < 2) {
    throw Error(fields.path_of("widths") + " must list at least two layer widths");
  }
  for (std::size_t i = 0; i < widths->size(); ++i) {
    const json& width = (*widths)[i];
    if (!width.is_number_unsigned() || width.get<std::uint64_t>() < 1 ||
        width.get<std::uint64_t>() > 65536) {
      throw Error(fields.path_of("widths") + "[" + std::to_string(i) +
                  "] must be a layer width from 1 to 65536 (got " + shown_json(width) + ")");
    }
    origin.widths.push_back(width.get<std::uint32_t>());
  }
  if (const json* contention = fields.child("contention")) {
    JsonFields factors(*contention, fields.path_of("contention"));
    origin.contention = measured_costs(factors);
    factors.finish();
  } else {
    throw Error(fields.path_of("contention") + " is missing");
  }
  read_entries(fields, "layers", [&](JsonFields& entry) { origin.layers.push_back(measured_costs(entry)); });
  if (origin.layers.size() + 1 != origin.widths.size()) {
    throw Error(fields.path_of("layers") + " must have one entry per layer (" +
                std::to_string(origin.widths.size() - 1) + ", from widths; got " +
                std::to_string(origin.layers.size()) + ")");
  }
  if (origin.model_stages > origin.layers.size()) {
    throw Error(fields.path_of("model_stages") + " = " + std::to_string(origin.model_stages) +
                " is more than the model's " + std::to_string(origin.layers.size()) + " layers");
  }
}

// Reads the object at `key`, if present, with `read`, and refuses its unknown fields.
template <typename Read>
void read_section(JsonFields& root, const char* key, Read read) {
  const json* value = root.child(key);
  if (value == nullptr) return;
  JsonFields fields(*value, root.path_of(key));
  read(fields);
  fields.finish();
}

}  // namespace

CostConfig parse_cost_config(std::string_view text, const CostConfig& base) {
  const json document = parse_json_text(text, "");
  JsonFields root(document, "$");
  if (const auto schema = root.string("schema"); schema && *schema != "pipewise.costs") {
    throw Error("$.schema must be \"pipewise.costs\" (got \"" + *schema + "\")");
  }
  if (const auto version = root.number("version"); version && *version != 1) {
    throw Error("$.version must be 1 (got " + shown_json(document.at("version")) + ")");
  }
  CostConfig config = base;
  read_section(root, "compute", [&](JsonFields& compute) {
    config.device_share =
        compute_fields(compute).apply_to(config.device_share, "$.compute").value_or_throw();
  });
  if (const auto stages = root.count("split_stages")) config.split_stages = *stages;
  read_stages(root, config);
  read_devices(root, config);
  read_ops(root, config);
  read_section(root, "communication",
               [&](JsonFields& fields) { read_communication(fields, config.communication); });
  read_section(root, "data_parallel",
               [&](JsonFields& fields) { read_data_parallel(fields, config.data_parallel); });
  read_section(root, "memory", [&](JsonFields& fields) { read_memory(fields, config.memory); });
  read_section(root, "overlap", [&](JsonFields& fields) { read_overlap(fields, config.overlap); });
  read_section(root, "profile", [&](JsonFields& fields) {
    config.profile.emplace();
    read_profile(fields, *config.profile);
  });
  root.finish();
  return config;
}

namespace {

nlohmann::ordered_json measured_costs_json(const StageCosts& costs) {
  nlohmann::ordered_json times{{"forward", costs.forward},
                               {"backward_input", costs.backward_input},
                               {"backward_weight", costs.backward_weight},
                               {"optimizer_step", costs.optimizer_step}};
  if (costs.stashing_step) times["stashing_step"] = *costs.stashing_step;
  return times;
}

}  // namespace

std::string cost_file_text(const CostFileContents& contents) {
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (const StageOverride& entry : contents.stages) {
    nlohmann::ordered_json stage = {{"stage", entry.stage}};
    const ComputeOverride& costs = entry.costs;
    const auto put = [&](const char* key, const std::optional<double>& value) {
      if (value) stage[key] = *value;
    };
    put("forward", costs.forward);
    put("backward", costs.backward);
    put("backward_input", costs.backward_input);
    put("backward_weight", costs.backward_weight);
    put("optimizer_step", costs.optimizer_step);
    put("stashing_step", costs.stashing_step);
    put("recompute_forward", costs.recompute_forward);
    const StageMemoryOverride& memory = entry.memory;
    put("parameter_bytes", memory.parameter_bytes);
    put("gradient_bytes", memory.gradient_bytes);
    put("optimizer_state_bytes", memory.optimizer_state_bytes);
    put("stash_bytes", memory.stash_bytes);
    put("checkpoint_bytes", memory.checkpoint_bytes);
    put("working_set_bytes", memory.working_set_bytes);
    put("step_working_bytes", memory.step_working_bytes);
    stages.push_back(std::move(stage));
  }
  nlohmann::ordered_json document = {{"schema", "pipewise.costs"}, {"version", 1}, {"stages", stages}};
  if (contents.split_stages) document["split_stages"] = *contents.split_stages;
  if (contents.recompute) document["memory"] = {{"recompute", true}};
  if (contents.communication) {
    const CommunicationCosts& comm = *contents.communication;
    document["communication"] = {{"latency", comm.latency_ms},
                                 {"bandwidth", comm.bandwidth_gb_per_s},
                                 {"activation_bytes", comm.activation_bytes},
                                 {"gradient_bytes", comm.gradient_bytes}};
    if (comm.mode == CommMode::Blocking) document["communication"]["mode"] = "blocking";
  }
  if (contents.data_parallel) {
    const DataParallelCosts& dp = *contents.data_parallel;
    document["data_parallel"] = {{"replicas", dp.replicas},
                                 {"latency", dp.latency_ms},
                                 {"bandwidth", dp.bandwidth_gb_per_s},
                                 {"overlap", dp.overlap_with_cooldown},
                                 {"sharded", dp.sharded}};
  }
  if (contents.profile) {
    const ProfileOrigin& origin = *contents.profile;
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const StageCosts& layer : origin.layers) layers.push_back(measured_costs_json(layer));
    document["profile"] = {{"backend", origin.backend},
                           {"schedule", origin.schedule},
                           {"processes", origin.processes},
                           {"widths", origin.widths},
                           {"microbatch_size", origin.microbatch_size},
                           {"optimizer", origin.optimizer},
                           {"model_stages", origin.model_stages},
                           {"contention", measured_costs_json(origin.contention)},
                           {"layers", layers}};
  }
  std::string text = document.dump(2) + "\n";
  parse_cost_config(text);  // the simulator must read what we write
  return text;
}

}  // namespace pipewise::sim
