#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "exec/core/fault_hook.hpp"

namespace pipewise::exec {

// A FaultHook driven by a list of rules, each aimed at one op on one device. An op matches
// a rule when its kind, stage, micro-batch and iteration are the rule's (the weight version
// is ignored). Build the plan before the run; it is read-only while the run reads it.
class FaultPlan final : public FaultHook {
 public:
  // `op` on `device` throws pipewise::Error(cause) instead of running.
  FaultPlan& throw_at(std::uint32_t device, const Op& op, std::string cause);
  // `op` on `device` starts `delay` late, or fails with RunCancelled as soon as the run's
  // stop is requested.
  FaultPlan& delay_at(std::uint32_t device, const Op& op, std::chrono::milliseconds delay);
  // The worker of `device` dies right before `op` (before_op throws WorkerKilled).
  FaultPlan& kill_at(std::uint32_t device, const Op& op);
  // The message of send op `op` on `device` meets `fault` (Drop, Corrupt or Fail).
  FaultPlan& message_fault_at(std::uint32_t device, const Op& op, MessageFault fault);

  void before_op(std::uint32_t device, const Op& op, std::stop_token stop = {}) override;
  MessageFault on_message(std::uint32_t device, const Op& op) override;

  // Whether a rule corrupts a message: only a run that verifies checksums detects it.
  bool corrupts_messages() const;

  // How many rules have fired so far.
  std::uint32_t fired() const { return fired_.load(); }

 private:
  enum class Action : std::uint8_t { Throw, Delay, Kill, Message };
  struct Rule {
    std::uint32_t device;
    Op op;
    Action action;
    std::string cause;
    std::chrono::milliseconds delay{0};
    MessageFault message = MessageFault::None;
  };
  static bool matches(const Rule& rule, std::uint32_t device, const Op& op);

  std::vector<Rule> rules_;
  std::atomic<std::uint32_t> fired_{0};
};

}  // namespace pipewise::exec
