// Schedule search (tools/search, `pipewise search`): how long the search takes and what it
// finds against the best hand-written schedule, for p up to 32. Target: a few seconds for
// p <= 32 (issue 15); the answer never slower than the best hand-written schedule, and
// faster on uneven costs.
//
//   BM_Search/p:P/m:M/case:K  one search on one thread over every shape (v = 1 looped;
//                             v = 2 looped, V-shape, bidirectional), m = 2p, with
//                             activations of 1 MB and 1 MB of weights per device share, and
//     case 0  uniform costs (F = 1, B = 2, W = 1 ms), free messages, no cap;
//     case 1  a slow middle stage (stage p/2 takes 1.5× the others), 0.2 ms messages,
//             capped at 1F1B's peak (per-stage costs: v = 1 and bidirectional shapes);
//     case 2  a heavy last stage (embedding and loss: 1.4× forward, 1.3× backward), 0.1 ms
//             messages, capped at 1F1B's peak;
//     case 3  uniform costs with a short W (W = B/4) and 0.05 ms messages, capped at 1F1B's
//             peak.
// Counters: makespan_ms (the answer), hand_written_ms (the best hand-written schedule that
// fits), gain_pct (how much faster the answer is), gap_pct (its gap to the lower bound),
// candidates (schedules simulated).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/schedules/registry.hpp"
#include "sim/engine.hpp"
#include "tools/search/schedule_search.hpp"

namespace {

using pipewise::Placement;
using pipewise::Problem;
namespace sim = pipewise::sim;

sim::CostConfig case_costs(std::uint32_t p, int which) {
  sim::CostConfig costs;
  costs.memory.parameter_bytes = 1e6;
  costs.memory.activation_bytes_per_layer = 1e6;
  costs.communication.activation_bytes = 1e6;
  costs.communication.gradient_bytes = 1e6;
  sim::StageOverride stage;
  switch (which) {
    case 1:
      stage.stage = p / 2;
      stage.costs.forward = 1.5;
      stage.costs.backward = 3.0;
      stage.costs.backward_weight = 1.5;
      costs.stages.push_back(stage);
      costs.communication.latency_ms = 0.2;
      break;
    case 2:
      stage.stage = p - 1;
      stage.costs.forward = 1.4;
      stage.costs.backward = 2.6;
      stage.costs.backward_weight = 1.3;
      costs.stages.push_back(stage);
      costs.communication.latency_ms = 0.1;
      break;
    case 3:
      costs.device_share.backward_input = 1.5;
      costs.device_share.backward_weight = 0.5;
      costs.communication.latency_ms = 0.05;
      break;
    default:
      break;
  }
  return costs;
}

// 1F1B's simulated peak, the cap of cases 1 to 3.
double one_f_one_b_peak(const Problem& problem, const sim::CostConfig& costs) {
  const sim::SimulationResult run =
      sim::simulate(pipewise::generate_schedule("1f1b", problem), sim::resolve_costs(costs, problem));
  double peak = 0;
  for (const sim::DeviceStats& device : run.devices) peak = std::max(peak, static_cast<double>(device.peak_bytes));
  return peak;
}

void search(benchmark::State& state) {
  const auto p = static_cast<std::uint32_t>(state.range(0));
  const auto m = static_cast<std::uint32_t>(state.range(1));
  const auto which = static_cast<int>(state.range(2));
  pipewise::tools::SearchOptions options;
  options.costs = case_costs(p, which);
  const Problem looped{p, 1, m, 1, Placement::Looped};
  options.shapes = {looped, Problem{p, 2, m, 1, Placement::Bidirectional}};
  if (options.costs.stages.empty()) {  // per-stage costs name one split: the p-stage shapes
    options.shapes.push_back(Problem{p, 2, m, 1, Placement::Looped});
    options.shapes.push_back(Problem{p, 2, m, 1, Placement::VShape});
  }
  if (which != 0) options.memory_cap_bytes = one_f_one_b_peak(looped, options.costs);
  options.threads = 1;
  pipewise::tools::SearchResult result;
  for (auto _ : state) {
    auto found = pipewise::tools::search_schedule(options);
    if (!found.ok()) {
      state.SkipWithError(found.status().reason().c_str());
      return;
    }
    result = std::move(found.value());
  }
  std::size_t simulated = 0;
  for (const auto& candidate : result.candidates) simulated += candidate.makespan_ms > 0;
  state.counters["makespan_ms"] = result.best.makespan_ms;
  state.counters["hand_written_ms"] = result.best_named ? result.best_named->makespan_ms : 0;
  state.counters["gain_pct"] =
      result.best_named ? 100 * (1 - result.best.makespan_ms / result.best_named->makespan_ms) : 0;
  state.counters["gap_pct"] = result.gap_to_lower_bound ? 100 * *result.gap_to_lower_bound : 0;
  state.counters["candidates"] = static_cast<double>(simulated);
}

}  // namespace

BENCHMARK(search)
    ->Name("BM_Search")
    ->ArgNames({"p", "m", "case"})
    ->Apply([](benchmark::internal::Benchmark* benchmark) {
      for (const std::int64_t p : {4, 8, 16, 32}) {
        for (const std::int64_t which : {0, 1, 2, 3}) benchmark->Args({p, 2 * p, which});
      }
    })
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
