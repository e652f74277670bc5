#include "exec/core/device_worker.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "common/ir/dependencies.hpp"
#include "exec/core/op_description.hpp"
#include "exec/core/weight_version_guard.hpp"

namespace pipewise::exec {
namespace {

void dispatch(std::uint32_t device, const Op& op, bool keep_previous, const Problem& problem,
              Backend& backend) {
  switch (op.kind) {
    case OpKind::Forward:
      backend.forward(device, op);
      return;
    case OpKind::Backward:
      backend.backward_input(device, op);
      backend.backward_weight(device, op);
      return;
    case OpKind::BackwardInput:
      backend.backward_input(device, op);
      return;
    case OpKind::BackwardWeight:
      backend.backward_weight(device, op);
      return;
    case OpKind::SendActivation:
    case OpKind::SendGrad:
      backend.send(device, op, problem.device_of_stage(peer_stage(op)));
      return;
    case OpKind::RecvActivation:
    case OpKind::RecvGrad:
      backend.recv(device, op, problem.device_of_stage(peer_stage(op)));
      return;
    case OpKind::OptimizerStep:
      backend.optimizer_step(device, op, keep_previous);
      return;
    case OpKind::Unshard:
    case OpKind::Reshard:
      // FSDP's gathering and freeing of sharded parameters: the backends hold every stage's
      // parameters whole, so there is nothing to gather or free.
      return;
  }
}

// The cause on one line: the run's error message must be a single line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

void fail(RunContext& run, std::string message) { run.fail(std::move(message)); }

}  // namespace

WorkerExit run_device(std::uint32_t device, const DeviceWeightLifetimes& lifetimes,
                      RunContext& run) {
  const auto& program = run.schedule.programs[device];
  const Problem& problem = run.schedule.problem;
  Backend& backend = run.backend;
  FaultHook* const faults = run.options.faults;
  RunObserver* const observer = run.observer;
  std::size_t index = 0;
  bool started = false;
  bool killed = false;
  try {
    WeightVersionGuard guard(problem);
    backend.start_worker(device);
    started = true;
    std::size_t next_release = 0;
    for (; index < program.size(); ++index) {
      if (run.failures.failed()) break;
      const Op& op = program[index];
      const std::int64_t start_ns = backend.now_ns(device);
      if (faults != nullptr) faults->before_op(device, op, run.stop.get_token());
      if (run.options.check_weight_versions) guard.admit(op);
      dispatch(device, op, lifetimes.keep_previous[index] != 0, problem, backend);
      for (; next_release < lifetimes.releases.size() &&
             lifetimes.releases[next_release].after_position == index;
           ++next_release) {
        const WeightRelease& release = lifetimes.releases[next_release];
        backend.release_weights(device, release.stage, release.version);
      }
      if (observer != nullptr) observer->on_op(device, index, op, start_ns, backend.now_ns(device));
    }
  } catch (const WorkerKilled&) {
    killed = true;
  } catch (const RunCancelled& cancelled) {
    fail(run, "device " + std::to_string(device) + ": " + cancelled.what());
  } catch (const std::exception& error) {
    if (!started) {
      fail(run, "device " + std::to_string(device) + " could not start: " + one_line(error.what()));
    } else {
      fail(run, "device " + std::to_string(device) + " failed at op " +
                    describe_op(program[index], problem.microbatches) + ", #" +
                    std::to_string(index) + " of its program: " + one_line(error.what()));
    }
  } catch (...) {
    fail(run, "device " + std::to_string(device) + " failed with an exception that is not a "
              "std::exception");
  }
  run.ops_run.fetch_add(index, std::memory_order_relaxed);
  return {index, killed};
}

}  // namespace pipewise::exec
