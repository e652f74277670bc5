#include "exec/cpu/cpu_profile.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>
#include <thread>

#include "common/ir/error.hpp"
#include "exec/cpu/core_pinning.hpp"
#include "exec/cpu/in_process_transport.hpp"
#include "exec/model/blas.hpp"
#include "exec/model/stage_math.hpp"
#include "exec/core/profile_driver.hpp"
#include "exec/core/profile_statistics.hpp"

namespace pipewise::exec {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// The host clock around `body`, which runs on the calling thread.
double time_on_host(const ProfiledCall& prepare, const ProfiledCall& body) {
  prepare();
  const Clock::time_point start = Clock::now();
  body();
  return elapsed_ms(start, Clock::now());
}

std::vector<std::vector<float>> layer_buffers(const StageLayout& layout, std::uint32_t rows) {
  std::vector<std::vector<float>> buffers(layout.layers());
  for (std::uint32_t l = 0; l < layout.layers(); ++l) {
    buffers[l].assign(std::size_t{rows} * layout.widths[l + 1], 0.0f);
  }
  return buffers;
}

// Times one stage on micro-batch 0, fed by the real outputs of the stages before it, with
// the math a CPU worker runs (stage_math.hpp) on host buffers.
StageProfile profile_stage(const MlpModel& model, std::uint32_t stage, const SyntheticTask& task,
                           const OptimizerConfig& optimizer, const ProfileOptions& options) {
  const std::uint32_t rows = task.rows();
  const std::int32_t* labels = task.labels(0);
  std::vector<float> input(task.inputs(0), task.inputs(0) + std::size_t{rows} * task.input_width());
  for (std::uint32_t s = 0; s < stage; ++s) {
    auto outputs = layer_buffers(model.stage(s), rows);
    stage_forward(model.stage(s), model.initial_parameters(s).data(), input.data(), rows, outputs,
                  labels);
    input = std::move(outputs.back());
  }
  const StageLayout& layout = model.stage(stage);
  std::vector<float> parameters = model.initial_parameters(stage);
  std::vector<float> gradient(parameters.size(), 0.0f);
  std::vector<float> next_version(parameters.size(), 0.0f);
  auto outputs = layer_buffers(layout, rows);
  auto grads = layer_buffers(layout, rows);
  std::vector<float> input_grad(stage > 0 ? input.size() : 0);
  float* input_grad_data = stage > 0 ? input_grad.data() : nullptr;
  OptimizerState state = make_optimizer_state(optimizer, parameters.size());
  std::vector<float> output_grad;

  StageOps ops;
  ops.forward = [&] {
    stage_forward(layout, parameters.data(), input.data(), rows, outputs, labels);
  };
  ops.keep_output_gradient = [&] { output_grad = outputs.back(); };
  ops.restore_output_gradient = [&] { grads.back() = output_grad; };
  ops.backward_input = [&] {
    stage_backward_input(layout, parameters.data(), rows, outputs, grads, labels, input_grad_data);
  };
  ops.backward_weight = [&] {
    stage_backward_weight(layout, rows, input.data(), outputs, grads, gradient.data());
  };
  // The steps as the backend takes them, averaging and clearing the gradient (the scale does
  // not change the work).
  ops.optimizer_step = [&] {
    step_from_gradient_sum(optimizer, state, parameters, {}, gradient, 1.0f);
  };
  ops.stashing_step = [&] {
    step_from_gradient_sum(optimizer, state, parameters, next_version, gradient, 1.0f);
  };
  StageProfile profile = time_stage_ops(ops, &time_on_host, options);
  profile.parameter_bytes = parameters.size() * sizeof(float);
  profile.output_bytes = std::size_t{rows} * layout.output_width() * sizeof(float);
  return profile;
}

// Median one-way time of `bytes`-sized messages from a sender thread to a receiver thread:
// from the sender's copy into the message to the receiver's wake-up, on the host clock, as
// a CPU run pays it. (The CUDA profiler times a message by the receiver's events instead:
// there the host only enqueues the copy.)
double profile_message(std::size_t bytes, std::uint32_t size_index, const ProfileOptions& options,
                       const std::vector<int>& cores) {
  const std::size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
  const std::uint32_t runs = options.warmup + options.repeats;
  const auto timeout = std::chrono::seconds(30);
  InProcessTransport transport(2, false);
  std::vector<Clock::time_point> sent(runs);
  std::vector<Clock::time_point> received(runs);
  std::exception_ptr failure;
  const auto forward_tag = [&](std::uint32_t run) { return MessageTag{false, 0, run, size_index}; };
  const auto back_tag = [&](std::uint32_t run) { return MessageTag{true, 1, run, size_index}; };

  std::thread receiver([&] {
    try {
      if (!cores.empty()) pin_current_thread(cores[1]);
      for (std::uint32_t run = 0; run < runs; ++run) {
        std::vector<float> payload = transport.receive(1, 0, forward_tag(run), timeout);
        received[run] = Clock::now();
        transport.send(1, 0, back_tag(run), std::move(payload));
      }
    } catch (...) {
      failure = std::current_exception();
      transport.cancel();
    }
  });
  std::exception_ptr sender_failure;
  std::thread sender;
  try {
    sender = std::thread([&] {
      try {
        if (!cores.empty()) pin_current_thread(cores[0]);
        const std::vector<float> source(floats, 1.0f);
        std::vector<float> message(floats);
        for (std::uint32_t run = 0; run < runs; ++run) {
          sent[run] = Clock::now();
          std::copy(source.begin(), source.end(), message.begin());
          transport.send(0, 1, forward_tag(run), std::move(message));
          message = transport.receive(0, 1, back_tag(run), timeout);
        }
      } catch (...) {
        sender_failure = std::current_exception();
        transport.cancel();
      }
    });
  } catch (const std::system_error& error) {
    transport.cancel();  // the receiver waits for a sender that never came
    receiver.join();
    throw Error(std::string("could not start a thread to time messages: ") +
                error.code().message());
  }
  sender.join();
  receiver.join();
  if (sender_failure) std::rethrow_exception(sender_failure);
  if (failure) std::rethrow_exception(failure);
  std::vector<double> samples;
  for (std::uint32_t run = options.warmup; run < runs; ++run) {
    samples.push_back(elapsed_ms(sent[run], received[run]));
  }
  return median(std::move(samples));
}

}  // namespace

ExecutionProfile profile_cpu_execution(const MlpModel& model, const SyntheticTask& task,
                                       const OptimizerConfig& optimizer,
                                       const ProfileOptions& options) {
  const std::vector<std::size_t> sizes = checked_message_sizes(options);
  optimizer.check();
  check_task_fits_model(task, model.config());
  std::vector<int> cores = allowed_cores();
  if (!options.pin_threads || cores.size() < 2) cores.clear();
  use_single_threaded_blas();

  ExecutionProfile profile;
  std::exception_ptr failure;
  // Stage timings run on a thread of their own, so pinning leaves the caller untouched.
  std::thread worker([&] {
    try {
      if (!cores.empty()) pin_current_thread(cores[0]);
      for (std::uint32_t s = 0; s < model.stages(); ++s) {
        profile.stages.push_back(profile_stage(model, s, task, optimizer, options));
      }
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);

  profile.transfer = profile_transfers(sizes, [&](std::size_t bytes, std::uint32_t size_index) {
    return profile_message(bytes, size_index, options, cores);
  });
  return profile;
}

}  // namespace pipewise::exec
