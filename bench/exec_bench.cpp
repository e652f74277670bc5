// Executor (CPU) costs that are not the model's math.
//
//   BM_ExecutorOverhead  run_schedule on a lowered 1F1B schedule with a backend whose
//                        compute is empty and whose sends and receives go through the CPU
//                        backend's InProcessTransport (empty payloads), so the run is the
//                        executor core alone: dispatch, weight-version checks, weight
//                        lifetimes, the clock reads around each op, the transport's
//                        synchronisation, and (observer:1) a TimingRecorder.
//                        Counters: device_ns/op = wall time / ops of the longest device
//                        program (how much each op of a device costs, waiting included:
//                        meaningful while p <= cores); cpu_ns/op = CPU time of all threads
//                        / ops run. Target: < 2 µs per op.
//   BM_TransportLatency  one-way latency of a message between two threads (half a
//                        ping-pong), payload moved, not copied.
//   BM_TransportBandwidth  bytes per second from one thread to another as CpuBackend::send
//                        moves an activation: one copy into a recycled message buffer,
//                        then the hand-over (with and without checksums).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/empty_compute_backend.hpp"
#include "exec/core/executor.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/cpu/in_process_transport.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kReceiveTimeout{30};

// The empty backend with the in-process transport (empty payloads).
pipewise::bench::EmptyComputeBackend in_process_empty_backend() {
  return pipewise::bench::EmptyComputeBackend([](const pipewise::Schedule& schedule) {
    return std::make_unique<pipewise::exec::InProcessTransport>(
        schedule.problem.devices, false,
        pipewise::exec::receive_spin(schedule.problem.devices, std::thread::hardware_concurrency()));
  });
}

// Arguments: p, m, observer (0: none, 1: a TimingRecorder).
void executor_overhead(benchmark::State& state) {
  const pipewise::Schedule& schedule = pipewise::bench::cached_schedule(
      "1f1b", pipewise::bench::make_problem(state.range(0), state.range(1), 1), true);
  std::size_t longest_program = 0;
  for (const auto& program : schedule.programs) {
    longest_program = std::max(longest_program, program.size());
  }
  pipewise::bench::EmptyComputeBackend backend = in_process_empty_backend();
  pipewise::exec::TimingRecorder recorder;
  pipewise::exec::RunObserver* observer = state.range(2) != 0 ? &recorder : nullptr;
  std::uint64_t ops_run = 0;
  double wall_ns = 0;
  double cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = pipewise::bench::process_cpu_seconds();
    const auto start = Clock::now();
    ops_run = pipewise::exec::run_schedule(schedule, backend, {}, observer).ops_run;
    const std::chrono::duration<double, std::nano> wall = Clock::now() - start;
    cpu_seconds += pipewise::bench::process_cpu_seconds() - cpu_start;
    wall_ns += wall.count();
    state.SetIterationTime(wall.count() * 1e-9);
  }
  const auto ops = static_cast<double>(ops_run);
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["ops"] = ops;
  state.counters["device_ns/op"] = wall_ns / (static_cast<double>(longest_program) * iterations);
  state.counters["cpu_ns/op"] = cpu_seconds * 1e9 / (ops * iterations);
}

pipewise::exec::MessageTag sequence_tag(bool returning, std::uint64_t sequence) {
  return {returning, 0, static_cast<std::uint32_t>(sequence),
          static_cast<std::uint32_t>(sequence >> 32)};
}

// Device 1's side of both transport benchmarks: returns every message to device 0 as it
// arrives, until an empty one.
std::thread start_echo(pipewise::exec::InProcessTransport& transport) {
  return std::thread([&transport] {
    for (std::uint64_t sequence = 0;; ++sequence) {
      std::vector<float> payload =
          transport.receive(1, 0, sequence_tag(false, sequence), kReceiveTimeout);
      if (payload.empty()) return;
      transport.send(1, 0, sequence_tag(true, sequence), std::move(payload));
    }
  });
}

void stop_echo(pipewise::exec::InProcessTransport& transport, std::thread& echo, std::uint64_t sequence) {
  transport.send(0, 1, sequence_tag(false, sequence), {});
  echo.join();
}

// Argument: payload floats.
void transport_latency(benchmark::State& state) {
  pipewise::exec::InProcessTransport transport(
      2, false, pipewise::exec::receive_spin(2, std::thread::hardware_concurrency()));
  std::thread echo = start_echo(transport);
  std::vector<float> payload(static_cast<std::size_t>(state.range(0)), 1.0f);
  std::uint64_t sequence = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    transport.send(0, 1, sequence_tag(false, sequence), std::move(payload));
    payload = transport.receive(0, 1, sequence_tag(true, sequence), kReceiveTimeout);
    const std::chrono::duration<double> round_trip = Clock::now() - start;
    state.SetIterationTime(round_trip.count() / 2);
    ++sequence;
  }
  stop_echo(transport, echo, sequence);
}

// Arguments: message bytes, checksums (0/1). Each iteration sends 8 messages through a
// window of 4 recycled buffers and waits until all are back.
void transport_bandwidth(benchmark::State& state) {
  constexpr int kWindow = 4;
  constexpr int kMessagesPerIteration = 8;
  const auto floats = static_cast<std::size_t>(state.range(0)) / sizeof(float);
  pipewise::exec::InProcessTransport transport(
      2, state.range(1) != 0, pipewise::exec::receive_spin(2, std::thread::hardware_concurrency()));
  std::thread echo = start_echo(transport);
  const std::vector<float> source(floats, 1.0f);
  std::vector<std::vector<float>> idle(kWindow, std::vector<float>(floats));
  std::uint64_t sent = 0;
  std::uint64_t returned = 0;
  for (auto _ : state) {
    for (int k = 0; k < kMessagesPerIteration; ++k) {
      if (idle.empty()) {
        idle.push_back(transport.receive(0, 1, sequence_tag(true, returned++), kReceiveTimeout));
      }
      std::vector<float> buffer = std::move(idle.back());
      idle.pop_back();
      std::copy(source.begin(), source.end(), buffer.begin());
      transport.send(0, 1, sequence_tag(false, sent++), std::move(buffer));
    }
    while (returned < sent) {
      idle.push_back(transport.receive(0, 1, sequence_tag(true, returned++), kReceiveTimeout));
    }
  }
  stop_echo(transport, echo, sent);
  state.SetBytesProcessed(state.iterations() * kMessagesPerIteration * state.range(0));
}

BENCHMARK(executor_overhead)
    ->Name("BM_ExecutorOverhead")
    ->ArgNames({"p", "m", "observer"})
    ->Apply([](benchmark::internal::Benchmark* benchmark) {
      pipewise::bench::add_args_product(benchmark, {{1, 2, 4, 8}, {64, 1024, 16384}, {0, 1}});
    })
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(transport_latency)
    ->Name("BM_TransportLatency")
    ->ArgName("floats")
    ->Arg(1)
    ->Arg(1024)
    ->Arg(262144)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(transport_bandwidth)
    ->Name("BM_TransportBandwidth")
    ->ArgNames({"bytes", "checksums"})
    ->ArgsProduct({{64 << 10, 1 << 20, 16 << 20, 64 << 20}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
