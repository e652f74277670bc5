#include "exec/core/fault_plan.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "common/ir/error.hpp"
#include "exec/core/backend.hpp"

namespace pipewise::exec {

FaultPlan& FaultPlan::throw_at(std::uint32_t device, const Op& op, std::string cause) {
  rules_.push_back({device, op, Action::Throw, std::move(cause)});
  return *this;
}

FaultPlan& FaultPlan::delay_at(std::uint32_t device, const Op& op,
                               std::chrono::milliseconds delay) {
  rules_.push_back({device, op, Action::Delay, {}, delay});
  return *this;
}

FaultPlan& FaultPlan::kill_at(std::uint32_t device, const Op& op) {
  rules_.push_back({device, op, Action::Kill, {}, {}, MessageFault::None});
  return *this;
}

FaultPlan& FaultPlan::message_fault_at(std::uint32_t device, const Op& op, MessageFault fault) {
  rules_.push_back({device, op, Action::Message, {}, std::chrono::milliseconds{0}, fault});
  return *this;
}

bool FaultPlan::corrupts_messages() const {
  return std::any_of(rules_.begin(), rules_.end(), [](const Rule& rule) {
    return rule.action == Action::Message && rule.message == MessageFault::Corrupt;
  });
}

bool FaultPlan::matches(const Rule& rule, std::uint32_t device, const Op& op) {
  return rule.device == device && rule.op.kind == op.kind && rule.op.stage == op.stage &&
         rule.op.microbatch == op.microbatch && rule.op.iteration == op.iteration;
}

namespace {

// Waits `delay`, or throws RunCancelled as soon as `stop` is requested.
void cancellable_delay(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, stop, delay, [] { return false; });  // wakes early only on a stop
  if (stop.stop_requested()) throw RunCancelled();
}

}  // namespace

void FaultPlan::before_op(std::uint32_t device, const Op& op, std::stop_token stop) {
  for (const Rule& rule : rules_) {
    if (rule.action == Action::Message || !matches(rule, device, op)) continue;
    fired_.fetch_add(1);
    switch (rule.action) {
      case Action::Throw:
        throw Error(rule.cause);
      case Action::Kill:
        throw WorkerKilled{};
      case Action::Delay:
        cancellable_delay(rule.delay, stop);
        break;
      case Action::Message:
        break;
    }
  }
}

MessageFault FaultPlan::on_message(std::uint32_t device, const Op& op) {
  for (const Rule& rule : rules_) {
    if (rule.action != Action::Message || !matches(rule, device, op)) continue;
    fired_.fetch_add(1);
    return rule.message;
  }
  return MessageFault::None;
}

}  // namespace pipewise::exec
