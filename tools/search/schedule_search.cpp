#include "tools/search/schedule_search.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <limits>
#include <new>
#include <thread>

#include "common/schedules/registry.hpp"
#include "common/resources/resource_limits.hpp"
#include "common/text/format.hpp"
#include "common/validate/validate.hpp"
#include "sim/activation_effects.hpp"
#include "sim/bounds.hpp"
#include "sim/engine.hpp"
#include "sim/memory_estimate.hpp"
#include "tools/search/list_scheduler.hpp"

namespace pipewise::tools {
namespace {

// One shape with its resolved costs and per-device activation caps.
struct Shape {
  Problem problem;
  sim::CostModel costs;
  std::vector<std::uint64_t> activation_caps;  // empty: no cap
  Status status;                               // why the shape cannot be searched
};

// What the list scheduler holds for `problem`: the schedule it builds (an F, I and W per
// slot and iteration) and, per slot, three times of its own and the simulator's state.
std::uint64_t list_scheduler_bytes(const Problem& problem) {
  const double slots = static_cast<double>(problem.stages()) * problem.microbatches;
  const double bytes = slots * (3.0 * sizeof(Op) * problem.iterations + 3 * sizeof(double) +
                                sim::kSimulatorBytesPerSlot * problem.iterations);
  return bytes >= 1.8e19 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(bytes);
}

Shape resolve_shape(const Problem& problem, const SearchOptions& options) {
  Shape shape;
  shape.problem = problem;
  if (Status valid = problem.validity(); !valid.ok()) {
    shape.status = valid;
    return shape;
  }
  // Every thread may hold one list schedule of this shape at a time.
  const std::uint64_t bytes = list_scheduler_bytes(problem);
  const unsigned threads = std::max(1u, options.threads);
  shape.status = memory_available_for(
      "the schedule search on " + problem_sizes(problem),
      bytes > ~std::uint64_t{0} / threads ? ~std::uint64_t{0} : bytes * threads,
      "its list schedules and their simulations");
  if (!shape.status.ok()) return shape;
  Result<sim::CostModel> costs = sim::try_resolve_costs(options.costs, problem);
  if (!costs.ok()) {
    shape.status = costs.status();
    return shape;
  }
  shape.costs = *costs;
  if (options.memory_cap_bytes) {
    for (std::uint32_t d = 0; d < problem.devices; ++d) {
      const double left =
          *options.memory_cap_bytes - static_cast<double>(sim::synchronous_static_bytes(*costs, d));
      shape.activation_caps.push_back(left > 0 ? static_cast<std::uint64_t>(left) : 0);
    }
  }
  return shape;
}

// Simulates `schedule` and fills the candidate's numbers.
void evaluate(const Schedule& schedule, const Shape& shape, const SearchOptions& options,
              SearchCandidate& candidate) {
  sim::SimulationOptions simulation;
  simulation.record_timeline = false;
  const sim::SimulationResult result = sim::simulate(schedule, shape.costs, simulation);
  candidate.makespan_ms = result.makespan_ms;
  for (const sim::DeviceStats& device : result.devices) {
    candidate.peak_bytes = std::max(candidate.peak_bytes, static_cast<double>(device.peak_bytes));
  }
  candidate.fits = !options.memory_cap_bytes || candidate.peak_bytes <= *options.memory_cap_bytes;
  if (!candidate.fits) {
    candidate.status = Status::failure("its fullest device needs " + format_bytes(candidate.peak_bytes) +
                                       ", over the cap of " + format_bytes(*options.memory_cap_bytes));
  }
}

// True when `a` is a better answer than `b`: it fits and is faster; at the same makespan,
// lighter; then hand-written before searched.
bool better(const SearchCandidate& a, const SearchCandidate& b) {
  if (a.fits != b.fits) return a.fits;
  if (a.makespan_ms != b.makespan_ms) return a.makespan_ms < b.makespan_ms;
  if (a.peak_bytes != b.peak_bytes) return a.peak_bytes < b.peak_bytes;
  return a.named && !b.named;
}

// Runs every task on `threads` threads.
void run_all(const std::vector<std::function<void()>>& tasks, unsigned threads) {
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) tasks[i]();
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

std::vector<std::string> default_named() {
  std::vector<std::string> names;
  for (const ScheduleInfo& info : schedule_catalog()) {
    if (!info.asynchronous && info.name != "naive") names.push_back(info.name);
  }
  return names;
}

}  // namespace

std::vector<ListPolicy> search_policies(const Problem& problem, bool pairs_help) {
  // Stash limits in stashes of one stage: none, and multiples of p (1F1B holds p of a
  // device's share, i.e. p·stages-per-share of them).
  const std::uint64_t per_share = problem.stages_per_device_share();
  std::vector<std::uint64_t> limits = {std::numeric_limits<std::uint64_t>::max()};
  for (const std::uint64_t k : {2u, 3u, 4u}) limits.push_back(k * problem.devices * per_share / 2);
  std::vector<ListPolicy> policies;
  for (const bool split : {true, false}) {
    for (const bool backward_first : {true, false}) {
      for (const bool deepest : {true, false}) {
        if (!deepest && problem.stages() == problem.devices) continue;  // one stage per device
        for (const bool eager : {false, true}) {
          if (eager && !split) continue;  // no W to place
          for (const bool pairs : {false, true}) {
            if (pairs && !pairs_help) continue;
            for (const std::uint64_t limit : limits) {
              if (!backward_first && limit == std::numeric_limits<std::uint64_t>::max()) continue;
              ListPolicy policy;
              policy.split_backward = split;
              policy.backward_first = backward_first;
              policy.deepest_forward_first = deepest;
              policy.eager_weights = eager;
              policy.overlap_pairs = pairs;
              policy.stash_limit = limit;
              policies.push_back(policy);
            }
          }
        }
      }
    }
  }
  return policies;
}

Result<SearchResult> search_schedule(const SearchOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<Shape> shapes;
  for (const Problem& problem : options.shapes) shapes.push_back(resolve_shape(problem, options));
  const std::vector<std::string> named = options.named.empty() ? default_named() : options.named;

  // Every candidate: its description, and how to make its schedule.
  struct Job {
    SearchCandidate candidate;
    const Shape* shape;
    std::function<Result<Schedule>()> make;
  };
  std::vector<Job> jobs;
  for (const Shape& shape : shapes) {
    for (const std::string& name : named) {
      Job job{{name, shape.problem, shape.status, 0, 0, false, true}, &shape, {}};
      if (job.candidate.status.ok()) job.candidate.status = schedule_accepts(name, shape.problem);
      if (job.candidate.status.ok()) {
        job.candidate.status = sim::memory_to_simulate(name, shape.problem);
      }
      job.make = [name, &shape]() -> Result<Schedule> {
        return generate_schedule(name, shape.problem);
      };
      jobs.push_back(std::move(job));
    }
  }
  for (const Shape& shape : shapes) {
    if (!shape.status.ok()) continue;
    bool pairs_help = false;
    for (std::uint32_t s = 0; s + 1 < shape.problem.stages() && !pairs_help; ++s) {
      const Op f{OpKind::Forward, 0, static_cast<std::uint16_t>(s), 0, 0, 0};
      const Op b{OpKind::BackwardInput, 0, static_cast<std::uint16_t>(s + 1), 0, 0, 0};
      pairs_help = shape.costs.pair_time(f, b) < shape.costs.op_time(f) + shape.costs.op_time(b);
    }
    for (const ListPolicy& policy : search_policies(shape.problem, pairs_help)) {
      Job job{{"list scheduler (" + policy.describe() + ")", shape.problem, {}, 0, 0, false, false},
              &shape,
              {}};
      job.make = [policy, &shape]() -> Result<Schedule> {
        return list_schedule(shape.problem, shape.costs, policy, shape.activation_caps);
      };
      jobs.push_back(std::move(job));
    }
  }

  std::vector<std::optional<Schedule>> schedules(jobs.size());
  std::vector<std::function<void()>> tasks;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    tasks.push_back([&, i] {
      Job& job = jobs[i];
      if (!job.candidate.status.ok()) return;
      // A worker thread must not throw (that would end the process): what generation or
      // simulation throws, memory exhausted included, becomes the candidate's failure.
      try {
        Result<Schedule> schedule = job.make();
        if (!schedule.ok()) {
          job.candidate.status = schedule.status();
          return;
        }
        evaluate(*schedule, *job.shape, options, job.candidate);
        schedules[i] = std::move(schedule.value());
      } catch (const std::bad_alloc&) {
        job.candidate.status = Status::failure("out of memory building or simulating it");
      } catch (const std::exception& error) {
        job.candidate.status = Status::failure(error.what());
      }
    });
  }
  run_all(tasks, options.threads);

  SearchResult result;
  std::optional<std::size_t> best;
  std::optional<std::size_t> closest;  // the lightest that ran, for the failure message
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const SearchCandidate& candidate = jobs[i].candidate;
    result.candidates.push_back(candidate);
    if (!schedules[i]) continue;
    if (!closest || candidate.peak_bytes < jobs[*closest].candidate.peak_bytes) closest = i;
    if (!candidate.fits) continue;
    if (!best || better(candidate, jobs[*best].candidate)) best = i;
    if (candidate.named &&
        (!result.best_named || better(candidate, *result.best_named))) {
      result.best_named = candidate;
    }
  }
  if (!best) {
    if (closest) {
      return Status::failure("no schedule fits the memory cap: the lightest, " +
                             jobs[*closest].candidate.origin + " with " +
                             problem_sizes(jobs[*closest].candidate.problem) + ", " +
                             jobs[*closest].candidate.status.reason());
    }
    for (const Shape& shape : shapes) {
      if (!shape.status.ok()) return shape.status;
    }
    return Status::failure("no schedule could be made for these shapes");
  }
  result.best = jobs[*best].candidate;
  result.schedule = std::move(*schedules[*best]);
  const ValidationReport report = validate_schedule(result.schedule);
  if (!report.ok()) {
    return Status::failure("the search made an invalid schedule (" + result.best.origin +
                           "): " + format_issue(report.issues.front()));
  }
  const Shape& shape = *jobs[*best].shape;
  const sim::SimulationResult run = sim::simulate(result.schedule, shape.costs);
  const sim::MakespanBounds bounds = sim::makespan_bounds(run, shape.costs);
  result.lower_bound_ms = bounds.lower_bound_ms;
  if (bounds.lower_bound_ms > 0) {
    result.gap_to_lower_bound = run.makespan_ms / bounds.lower_bound_ms - 1;
  }
  for (const sim::DeviceStats& device : run.devices) {
    result.longest_device_span_ms = std::max(result.longest_device_span_ms, device.span_ms());
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace pipewise::tools
