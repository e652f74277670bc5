#pragma once
// `pipewise search`'s engine: the fastest schedule it can find for given costs and a
// per-device memory cap. It simulates every hand-written schedule pipewise has that accepts
// the problem (the baseline to beat) and the list scheduler (list_scheduler.hpp) under a
// grid of policies, on every shape it is given (e.g. v = 1 looped and v = 2 V-shape), and
// keeps the shortest simulated makespan whose every device stays under the cap. As the
// hand-written schedules are candidates too, the result is never slower than the best of
// them; with uneven stage costs the list scheduler, which places every op by the real
// costs, is usually faster.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/ir/status.hpp"
#include "sim/cost_model.hpp"
#include "tools/search/list_scheduler.hpp"

namespace pipewise::tools {

struct SearchOptions {
  // The problems to search: the same p, m and n; v and placement may differ (each shape
  // resolves `costs` on its own: one device's share divided into its chunks).
  std::vector<Problem> shapes;
  sim::CostConfig costs;
  // The most bytes a device may hold (static plus activations), as the simulator counts
  // them; absent: no cap.
  std::optional<double> memory_cap_bytes;
  // The hand-written schedules to compare; empty: every synchronous one in the registry.
  std::vector<std::string> named;
  unsigned threads = 1;
};

// One schedule the search tried.
struct SearchCandidate {
  std::string origin;  // a schedule name, or "list scheduler (<policy>)"
  Problem problem;
  Status status;       // ok, or why there is no schedule (not accepted, stuck, ...)
  double makespan_ms = 0;
  double peak_bytes = 0;  // the fullest device's peak
  bool fits = false;      // simulated, and every device under the cap
  bool named = false;     // a hand-written schedule
};

struct SearchResult {
  Schedule schedule;  // the winner, named "search" (or the hand-written schedule's name)
  SearchCandidate best;
  std::optional<SearchCandidate> best_named;  // the fastest hand-written one that fits
  double lower_bound_ms = 0;       // sim::MakespanBounds of the winner's ops
  std::optional<double> gap_to_lower_bound;  // makespan / lower bound − 1; undefined at bound 0
  double longest_device_span_ms = 0;  // the zero-bubble papers' per-device objective
  std::vector<SearchCandidate> candidates;  // every schedule tried, hand-written first
  double seconds = 0;
};

// Searches as described above. Fails, with the reason, when no candidate fits the cap
// (the reason of the one that came closest) or no shape accepts the costs.
// REQUIRES: !options.shapes.empty().
Result<SearchResult> search_schedule(const SearchOptions& options);

// The list-scheduler policies the search runs on `problem` (overlapped pairs only when
// `pairs_help`, i.e. the costs make a pair shorter than its two ops).
std::vector<ListPolicy> search_policies(const Problem& problem, bool pairs_help);

}  // namespace pipewise::tools
