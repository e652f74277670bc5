#include "exec/core/fault_spec.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec {
namespace {

constexpr std::uint32_t kMaxDelayMs = 3'600'000;

std::optional<std::uint32_t> parse_number(std::string_view text, std::uint32_t max) {
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

// The first op of `device`'s program whose label is `label`.
const Op& find_op(const Schedule& schedule, std::uint32_t device, std::string_view label) {
  for (const Op& op : schedule.programs[device]) {
    if (op_label(op, schedule.problem.microbatches) == label) return op;
  }
  throw Error("device " + std::to_string(device) + " has no op \"" + std::string(label) +
              "\" in its program");
}

std::optional<MessageFault> message_fault_named(std::string_view kind) {
  if (kind == "drop") return MessageFault::Drop;
  if (kind == "corrupt") return MessageFault::Corrupt;
  if (kind == "fail-send") return MessageFault::Fail;
  return std::nullopt;
}

}  // namespace

void add_fault_from_text(FaultPlan& plan, std::string_view spec, const Schedule& schedule) {
  const std::size_t at = spec.find('@');
  const std::size_t colon = spec.find(':', at == std::string_view::npos ? 0 : at);
  if (at == std::string_view::npos || colon == std::string_view::npos) {
    throw Error("expected KIND@DEVICE:OP[:ARG], such as throw@1:1F0");
  }
  const std::string_view kind = spec.substr(0, at);
  const std::string_view device_text = spec.substr(at + 1, colon - at - 1);
  std::string_view op_text = spec.substr(colon + 1);
  std::optional<std::string_view> argument;
  if (const std::size_t second = op_text.find(':'); second != std::string_view::npos) {
    argument = op_text.substr(second + 1);
    op_text = op_text.substr(0, second);
  }

  const std::optional<MessageFault> message = message_fault_named(kind);
  if (!message && kind != "throw" && kind != "delay" && kind != "kill") {
    throw Error("unknown fault \"" + std::string(kind) +
                "\" (throw, delay, kill, drop, corrupt or fail-send)");
  }
  const std::uint32_t devices = schedule.problem.devices;
  const std::optional<std::uint32_t> device = parse_number(device_text, devices - 1);
  if (!device) {
    throw Error("device \"" + std::string(device_text) + "\" is not one of 0 to " +
                std::to_string(devices - 1));
  }
  const Op& op = find_op(schedule, *device, op_text);
  if (kind == "delay") {
    if (!argument) throw Error("delay needs its milliseconds: delay@DEVICE:OP:MS");
    const std::optional<std::uint32_t> ms = parse_number(*argument, kMaxDelayMs);
    if (!ms) {
      throw Error("delay \"" + std::string(*argument) +
                  "\" is not a number of milliseconds from 0 to " + std::to_string(kMaxDelayMs));
    }
    plan.delay_at(*device, op, std::chrono::milliseconds(*ms));
    return;
  }
  if (argument) throw Error(std::string(kind) + " takes no argument after the op");
  if (message) {
    if (!is_send(op.kind)) {
      throw Error(std::string(kind) + " needs a send op (SEND_F or SEND_B), not \"" +
                  std::string(op_text) + "\"");
    }
    plan.message_fault_at(*device, op, *message);
  } else if (kind == "kill") {
    plan.kill_at(*device, op);
  } else {
    plan.throw_at(*device, op, "injected failure");
  }
}

}  // namespace pipewise::exec
