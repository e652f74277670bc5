// A streamed schedule (its ops produced on demand, its state a window over the
// micro-batches in flight) simulates exactly as the whole schedule does: every device's
// statistics, the makespan and the iteration ends are equal, for each schedule that streams,
// under costs that exercise every path of the engine (uneven stages, per-op overrides,
// links, blocking sends, data parallelism, recomputation, memory accounting, a stashing step
// time), and when the first window is too small and the run starts again.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "common/ir/weight_versions.hpp"
#include "common/schedules/registry.hpp"
#include "common/validate/validate.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"

namespace pipewise::sim {
namespace {

const std::vector<std::string> kStreamed = {"naive", "gpipe", "1f1b", "interleaved"};

// Costs variant `variant`: 0 uniform, 1 uneven stages with links and memory, 2 blocking
// sends with data parallelism and recomputation, 3 per-op overrides and a slow device.
CostConfig costs_variant(int variant, const Problem& problem) {
  CostConfig config;
  config.device_share = {1.0, 1.5, 0.5, 0.25};
  config.memory.parameter_bytes = 4000;
  config.memory.layers = 4;
  config.memory.activation_bytes_per_layer = 300;
  if (variant >= 1) {
    config.communication.latency_ms = 0.3;
    config.communication.bandwidth_gb_per_s = 1e-6;
    config.communication.activation_bytes = 70;
    config.communication.gradient_bytes = 90;
    StageOverride heavy;
    heavy.stage = problem.model_stages() - 1;
    heavy.costs.forward = 2.5;
    heavy.memory.stash_bytes = 2100;
    config.stages.push_back(heavy);
  }
  if (variant == 2) {
    config.communication.mode = CommMode::Blocking;
    config.data_parallel.replicas = 4;
    config.data_parallel.latency_ms = 0.1;
    config.data_parallel.bandwidth_gb_per_s = 1e-5;
    config.memory.recompute = true;
    config.memory.optimizer = Optimizer::Adam;
  }
  if (variant == 3) {
    config.devices.push_back({0, 1.7});
    config.ops.push_back({OpKind::Forward, 0, problem.microbatches - 1, 0, 4.0});
    config.ops.push_back({OpKind::Backward, problem.model_stages() - 1, 0, 0, 0.1});
    config.device_share.stashing_step = 0.75;  // tracked, though flushed steps never stash
  }
  return config;
}

void expect_same_run(const SimulationResult& whole, const SimulationResult& streamed,
                     const std::string& where) {
  EXPECT_EQ(streamed.schedule_name, whole.schedule_name) << where;
  EXPECT_EQ(streamed.makespan_ms, whole.makespan_ms) << where;
  EXPECT_EQ(streamed.iteration_end_ms, whole.iteration_end_ms) << where;
  EXPECT_EQ(streamed.messages, whole.messages) << where;
  EXPECT_EQ(streamed.message_ms, whole.message_ms) << where;
  ASSERT_EQ(streamed.devices.size(), whole.devices.size()) << where;
  for (std::size_t d = 0; d < whole.devices.size(); ++d) {
    const DeviceStats& a = whole.devices[d];
    const DeviceStats& b = streamed.devices[d];
    const std::string at = where + " device " + std::to_string(d);
    EXPECT_EQ(b.busy_ms, a.busy_ms) << at;
    EXPECT_EQ(b.path_compute_ms, a.path_compute_ms) << at;
    EXPECT_EQ(b.step_ms, a.step_ms) << at;
    EXPECT_EQ(b.allreduce_ms, a.allreduce_ms) << at;
    EXPECT_EQ(b.blocked_ms, a.blocked_ms) << at;
    EXPECT_EQ(b.first_start_ms, a.first_start_ms) << at;
    EXPECT_EQ(b.finish_ms, a.finish_ms) << at;
    EXPECT_EQ(b.compute_ops, a.compute_ops) << at;
    EXPECT_EQ(b.path_ops, a.path_ops) << at;
    EXPECT_EQ(b.weight_versions, a.weight_versions) << at;
    EXPECT_EQ(b.static_bytes, a.static_bytes) << at;
    EXPECT_EQ(b.peak_bytes, a.peak_bytes) << at;
    EXPECT_EQ(b.peak_activation_bytes, a.peak_activation_bytes) << at;
    EXPECT_EQ(b.peak_activations, a.peak_activations) << at;
    EXPECT_EQ(b.peak_time_ms, a.peak_time_ms) << at;
  }
}

// A stream that claims fewer micro-batches in flight than its schedule has, so that the
// simulator's first window is too small.
class UnderstatedStream final : public ScheduleStream {
 public:
  explicit UnderstatedStream(std::unique_ptr<ScheduleStream> stream) : stream_(std::move(stream)) {}
  const std::string& name() const override { return stream_->name(); }
  const Problem& problem() const override { return stream_->problem(); }
  std::uint64_t program_size(std::uint32_t device) const override {
    return stream_->program_size(device);
  }
  std::uint64_t microbatches_in_flight() const override { return 1; }
  std::size_t read(std::uint32_t device, Op* out, std::size_t capacity) override {
    return stream_->read(device, out, capacity);
  }
  void rewind() override {
    ++rewinds;
    stream_->rewind();
  }
  int rewinds = 0;

 private:
  std::unique_ptr<ScheduleStream> stream_;
};

TEST(StreamedSimulation, EqualsTheWholeScheduleForEveryStreamedSchedule) {
  std::size_t compared = 0;
  for (const std::string& name : kStreamed) {
    ASSERT_TRUE(can_stream(name)) << name;
    for (const std::uint32_t p : {1u, 2u, 3u, 5u}) {
      for (const std::uint32_t m : {1u, 4u, 7u, 150u}) {
        for (const std::uint32_t v : {1u, 2u, 3u}) {
          for (const std::uint32_t n : {1u, 2u}) {
            const Problem problem{p, v, m, n, Placement::Looped};
            if (!schedule_accepts(name, problem).ok()) continue;
            const Schedule whole = generate_schedule(name, problem);
            for (const int variant : {0, 1, 2, 3}) {
              const CostModel costs = resolve_costs(costs_variant(variant, problem), problem);
              const std::unique_ptr<ScheduleStream> stream = stream_schedule(name, problem);
              const std::string where =
                  name + " " + problem_sizes(problem) + " variant " + std::to_string(variant);
              expect_same_run(simulate(whole, costs), simulate(*stream, costs), where);
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 200u);
}

TEST(StreamedSimulation, StartsAgainWithALargerWindowWhenTheFirstIsTooSmall) {
  // GPipe holds all m micro-batches of an iteration: 300 do not fit a window of 64.
  for (const Problem& problem : {Problem{3, 1, 300, 2, Placement::Looped},
                                 Problem{5, 1, 200, 3, Placement::Looped}}) {
    const std::string name = "gpipe";
    const CostModel costs = resolve_costs(costs_variant(1, problem), problem);
    UnderstatedStream stream(stream_schedule(name, problem));
    const SimulationResult streamed = simulate(stream, costs);
    EXPECT_GT(stream.rewinds, 1) << name << ": the first window was large enough";
    expect_same_run(simulate(generate_schedule(name, problem), costs), streamed, name);
  }
}

TEST(StreamedSimulation, UsesAWindowSmallerThanEveryMicroBatch) {
  // 1F1B at p = 4 keeps at most p + 1 micro-batches of a stage: a window of 64 is enough
  // for m = 1000, and the run does not start again.
  const Problem problem{4, 1, 1000, 1, Placement::Looped};
  const CostModel costs = resolve_costs(costs_variant(2, problem), problem);
  UnderstatedStream stream(stream_schedule("1f1b", problem));
  expect_same_run(simulate(generate_schedule("1f1b", problem), costs), simulate(stream, costs),
                  "1f1b p=4 m=1000");
  EXPECT_EQ(stream.rewinds, 1);
}

TEST(StreamedSimulation, ReportsItsProgressAsItReadsTheStream) {
  // 1F1B p = 8, m = 300000: 4,800,008 ops, more than one kStreamProgressOps.
  const Problem problem{8, 1, 300000, 1, Placement::Looped};
  const CostModel costs = resolve_costs(CostConfig{}, problem);
  const std::unique_ptr<ScheduleStream> stream = stream_schedule("1f1b", problem);
  std::uint64_t total = 0;
  for (std::uint32_t d = 0; d < problem.devices; ++d) total += stream->program_size(d);
  std::vector<std::uint64_t> reported;
  SimulationOptions options;
  options.on_stream_progress = [&reported](std::uint64_t read) { reported.push_back(read); };
  const SimulationResult run = simulate(*stream, costs, options);
  EXPECT_GT(run.makespan_ms, 0.0);
  ASSERT_FALSE(reported.empty());
  EXPECT_GE(reported.front(), kStreamProgressOps);
  for (std::size_t i = 1; i < reported.size(); ++i) {
    EXPECT_GE(reported[i], reported[i - 1] + kStreamProgressOps);
  }
  EXPECT_LE(reported.back(), total);
}

TEST(StreamedSimulation, RefusesToRecordATimeline) {
  const Problem problem{2, 1, 4, 1, Placement::Looped};
  const CostModel costs = resolve_costs(CostConfig{}, problem);
  SimulationOptions options;
  options.record_timeline = true;
  const std::unique_ptr<ScheduleStream> stream = stream_schedule("1f1b", problem);
  EXPECT_THROW(simulate(*stream, costs, options), Error);
}

TEST(StreamedSchedules, MaterializeToValidSchedulesWithTheGeneralWeightVersions) {
  for (const std::string& name : kStreamed) {
    for (const Problem& problem : {Problem{3, 1, 5, 3, Placement::Looped},
                                   Problem{2, 2, 6, 2, Placement::Looped}}) {
      if (!schedule_accepts(name, problem).ok()) continue;
      const std::unique_ptr<ScheduleStream> stream = stream_schedule(name, problem);
      const Schedule schedule = materialize(*stream);
      const std::string where = name + " " + problem_sizes(problem);
      EXPECT_TRUE(validate_schedule(schedule).ok()) << where;
      Schedule reassigned = schedule;
      assign_weight_versions(reassigned);
      EXPECT_EQ(reassigned, schedule) << where;
      EXPECT_EQ(materialize(*stream), schedule) << where << ": read twice";
      for (std::uint32_t d = 0; d < problem.devices; ++d) {
        EXPECT_EQ(stream->program_size(d), schedule.programs[d].size()) << where;
      }
    }
  }
}

TEST(StreamedSchedules, OnlyTheFlushedOneForwardOneBackwardSchedulesStream) {
  EXPECT_FALSE(can_stream("zb-h1"));
  EXPECT_FALSE(can_stream("pipedream"));
  EXPECT_THROW(stream_schedule("dualpipe", Problem{4, 2, 8, 1, Placement::Bidirectional}), Error);
  EXPECT_THROW(stream_schedule("gpipe", Problem{4, 2, 8, 1, Placement::Looped}), Error);
}

}  // namespace
}  // namespace pipewise::sim
