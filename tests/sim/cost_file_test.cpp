// The JSON cost file and the non-uniform costs it describes, checked against hand-worked
// timelines.
#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "sim/cost_file.hpp"
#include "sim/cost_model.hpp"
#include "sim/engine.hpp"
#include "tests/sim/hand_schedules.hpp"

namespace pipewise::sim {
namespace {

using testing::gpipe_schedule;
using testing::make_op;
using testing::one_f_one_b_schedule;

Problem problem_of(std::uint32_t p, std::uint32_t m, std::uint32_t v = 1) {
  Problem problem;
  problem.devices = p;
  problem.microbatches = m;
  problem.chunks = v;
  return problem;
}

std::string error_of(const std::string& text, const Problem& problem = problem_of(4, 8)) {
  try {
    resolve_costs(parse_cost_config(text), problem);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

double makespan_of(const Schedule& schedule, const std::string& cost_file) {
  const CostModel costs = resolve_costs(parse_cost_config(cost_file), schedule.problem);
  return simulate(schedule, costs).makespan_ms;
}

TEST(CostFile, ReadsEverySection) {
  const CostConfig config = parse_cost_config(R"({
    "schema": "pipewise.costs", "version": 1,
    "compute": {"forward": 2, "backward": 4, "backward_weight": 1, "optimizer_step": 0.5},
    "stages": [{"stage": 3, "forward": 3}],
    "devices": [{"device": 1, "slowdown": 1.5}],
    "ops": [{"kind": "backward_input", "stage": 0, "microbatch": 2, "time": 9}],
    "communication": {"latency": 0.1, "bandwidth": 10, "activation_bytes": 1000, "mode": "blocking"},
    "data_parallel": {"replicas": 8, "latency": 0.2, "bandwidth": 40, "overlap": false},
    "memory": {"parameter_bytes": 1e6, "optimizer": "adam", "layers": 2,
               "activation_bytes_per_layer": 500, "working_set_factor": 1.25,
               "weight_gradient_fraction": 0.5, "recompute": true, "step_working_bytes": 3000}
  })");
  EXPECT_DOUBLE_EQ(config.device_share.forward, 2.0);
  EXPECT_DOUBLE_EQ(config.device_share.backward_input, 3.0);  // B - W
  EXPECT_DOUBLE_EQ(config.device_share.backward_weight, 1.0);
  EXPECT_DOUBLE_EQ(config.device_share.optimizer_step, 0.5);
  ASSERT_EQ(config.stages.size(), 1u);
  EXPECT_EQ(config.stages[0].stage, 3u);
  ASSERT_EQ(config.devices.size(), 1u);
  EXPECT_DOUBLE_EQ(config.devices[0].factor, 1.5);
  ASSERT_EQ(config.ops.size(), 1u);
  EXPECT_EQ(config.ops[0].kind, OpKind::BackwardInput);
  EXPECT_EQ(config.ops[0].iteration, 0u);
  EXPECT_DOUBLE_EQ(config.communication.gradient_bytes, 1000.0);  // follows activation_bytes
  EXPECT_EQ(config.communication.mode, CommMode::Blocking);
  EXPECT_EQ(config.data_parallel.replicas, 8u);
  EXPECT_FALSE(config.data_parallel.overlap_with_cooldown);
  EXPECT_EQ(config.memory.optimizer, Optimizer::Adam);
  EXPECT_TRUE(config.memory.recompute);

  // Resolved for p = 2, v = 2 (stages 0..3; device 1 holds stages 1 and 3).
  const CostModel model = resolve_costs(config, problem_of(2, 4, 2));
  EXPECT_DOUBLE_EQ(model.stage(0).forward, 1.0);                // 2 / v
  EXPECT_DOUBLE_EQ(model.stage(1).forward, 1.5);                // 2 / v × 1.5
  EXPECT_DOUBLE_EQ(model.stage(3).forward, 4.5);                // absolute 3, then × 1.5
  EXPECT_DOUBLE_EQ(model.stage(3).backward_input, 1.5 * 1.5);   // 3 / v × 1.5
  EXPECT_DOUBLE_EQ(model.op_time(make_op(OpKind::BackwardInput, 0, 2)), 9.0 + 1.0);  // + recompute F
  EXPECT_DOUBLE_EQ(model.op_time(make_op(OpKind::BackwardInput, 0, 1)), 1.5 + 1.0);
  EXPECT_EQ(model.stage_memory(0).parameter_bytes, 500000u);        // 10^6 / v
  EXPECT_EQ(model.stage_memory(0).optimizer_state_bytes, 1000000u);  // Adam: 2 × 500000
  EXPECT_EQ(model.stage_memory(0).stash_bytes, 500u);               // L / v × A_layer
  EXPECT_EQ(model.stage_memory(0).working_set_bytes, 625u);         // × 1.25
  EXPECT_EQ(model.stage_memory(0).boundary_bytes, 1000u);
  EXPECT_EQ(model.stage_memory(0).step_working_bytes, 1500u);      // 3000 / v
}

TEST(CostFile, SlowLastStageWithTheLoss) {
  // GPipe p = 3, m = 2, F = 1, B = 2, but the last stage takes F = 2, B = 4.
  // Device 0 F 0-1, 1-2; device 1 F 1-2, 2-3; device 2 F 2-4, 4-6, B 6-10, 10-14;
  // device 1 B 10-12, 14-16; device 0 B 12-14, 16-18.
  const std::string costs = R"({"stages": [{"stage": 2, "forward": 2, "backward": 4}]})";
  EXPECT_DOUBLE_EQ(makespan_of(gpipe_schedule(3, 2), costs), 18.0);
  // 1F1B: device 2 F 2-4, B 4-8, F 8-10, B 10-14; device 1 B 8-10, 14-16; device 0 B
  // 10-12, 16-18: the same 18 ms.
  EXPECT_DOUBLE_EQ(makespan_of(one_f_one_b_schedule(3, 2), costs), 18.0);
}

TEST(CostFile, StragglerDeviceSlowsItsStages) {
  // Device 1 twice as slow: its F = 2, B = 4. Device 0 F 0-1, 1-2; device 1 F 1-3, 3-5;
  // device 2 F 3-4, 5-6, B 6-8, 8-10; device 1 B 8-12, 12-16; device 0 B 12-14, 16-18.
  EXPECT_DOUBLE_EQ(makespan_of(gpipe_schedule(3, 2), R"({"devices": [{"device": 1, "slowdown": 2}]})"),
                   18.0);
}

TEST(CostFile, OneSlowOp) {
  // F(0, 1) takes 5 ms: device 0 F 0-1, 1-6; device 1 F 1-2, 6-7, B 7-9, 9-11;
  // device 0 B 9-11, 11-13.
  EXPECT_DOUBLE_EQ(makespan_of(gpipe_schedule(2, 2),
                               R"({"ops": [{"kind": "forward", "stage": 0, "microbatch": 1, "time": 5}]})"),
                   13.0);
}

TEST(CostFile, BadFilesNameTheJsonPath) {
  EXPECT_EQ(error_of(R"({"stages": [{"stage": 0}, {"stage": 1, "forward": -1}]})"),
            "$.stages[1].forward must be a number >= 0 (got -1)");
  EXPECT_EQ(error_of(R"({"compute": {"foward": 1}})"),
            "$.compute.foward is not a known field (expected one of forward, backward, "
            "backward_input, backward_weight, optimizer_step, stashing_step)");
  EXPECT_EQ(error_of(R"({"communication": {"mode": "async"}})"),
            "$.communication.mode must be \"overlapped\" or \"blocking\" (got \"async\")");
  EXPECT_EQ(error_of(R"({"stages": [{"stage": 9, "forward": 1}]})"),
            "$.stages[0].stage = 9 is outside 0..3");
  EXPECT_EQ(error_of(R"({"devices": [{"device": 4, "slowdown": 2}]})"),
            "$.devices[0].device = 4 is outside 0..3");
  EXPECT_EQ(error_of(R"({"compute": {"backward": 2, "backward_input": 1, "backward_weight": 2}})"),
            "$.compute: backward (2) must equal backward_input + backward_weight (3)");
  EXPECT_EQ(error_of(R"({"compute": {"backward": 1, "backward_weight": 2}})"),
            "$.compute.backward_input must be a finite time >= 0 (got -1)");
  EXPECT_EQ(error_of(R"({"ops": [{"kind": "send_grad", "stage": 0, "microbatch": 0, "time": 1}]})"),
            "$.ops[0].kind must be \"forward\", \"backward\", \"backward_input\" or "
            "\"backward_weight\" (got \"send_grad\")");
  EXPECT_EQ(error_of(R"({"ops": [{"kind": "forward", "stage": 0, "microbatch": 8, "time": 1}]})"),
            "$.ops[0] names stage 0, micro-batch 8, iteration 0 outside the problem (p*v = 4, "
            "m = 8, n = 1)");
  EXPECT_EQ(error_of(R"({"memory": {"optimizer": "lamb"}})"),
            "$.memory.optimizer must be \"sgd\", \"momentum\" or \"adam\" (got \"lamb\")");
  EXPECT_EQ(error_of(R"({"data_parallel": {"replicas": 0}})"),
            "$.data_parallel.replicas must be a whole number >= 1 (got 0)");
  EXPECT_EQ(error_of(R"({"schema": "other"})"), "$.schema must be \"pipewise.costs\" (got \"other\")");
  EXPECT_EQ(error_of(R"([1, 2])"), "$ must be an object (got [1,2])");
  EXPECT_EQ(error_of(R"({"stages": {}})"), "$.stages must be an array (got {})");
  const std::string syntax = error_of("{\"compute\": ");
  // The input is 12 bytes long; the parser reports the 1-based position where it ran out.
  EXPECT_EQ(syntax.rfind("invalid JSON at byte 13: ", 0), 0u) << syntax;
  EXPECT_EQ(syntax.find('\n'), std::string::npos);
  EXPECT_EQ(error_of(R"({"compute": {"forward": 1e400}})"),
            "invalid JSON: number overflow parsing '1e400'");
  // Deep nesting is refused before the parser's recursion could exhaust the stack.
  EXPECT_EQ(error_of(std::string(100000, '[') + std::string(100000, ']')),
            "JSON nested deeper than 32 levels at byte 32");
  EXPECT_EQ(error_of(R"({"devices": [{"device": 0, "slowdown": 2, "note": "[[[[["}]})"),
            "$.devices[0].note is not a known field (expected one of device, slowdown)");
}

// A file whose stages list a split of the model (pipewise partition) fits that p·v only:
// another would give the stages it does not list the default times.
TEST(CostFile, ASplitFitsOnlyItsStageCount) {
  const CostConfig config = parse_cost_config(
      R"({"split_stages": 2, "stages": [{"stage": 0, "forward": 3, "backward": 6},
                                        {"stage": 1, "forward": 4, "backward": 8}]})");
  EXPECT_TRUE(try_resolve_costs(config, Problem{2, 1, 4}).ok());
  EXPECT_TRUE(try_resolve_costs(config, Problem{1, 2, 4}).ok());  // v = 2 on one device
  EXPECT_EQ(try_resolve_costs(config, Problem{4, 1, 4}).status().reason(),
            "the costs describe the model split into 2 stages and this problem has p*v = 4: split it "
            "into that many (pipewise partition -p 4 --write-costs FILE)");
  EXPECT_THROW(parse_cost_config(R"({"split_stages": 0})"), Error);
}

// What a tool writes with cost_file_text reads back to the same values, the profile section
// (model, split, contention, per-layer times) included.
TEST(CostFileWriter, RoundTripsThroughTheReader) {
  CostFileContents contents;
  StageOverride stage;
  stage.stage = 1;
  stage.costs.forward = 1.25;
  stage.costs.backward_input = 0.5;
  stage.costs.backward_weight = 0.75;
  stage.costs.optimizer_step = 0.125;
  stage.memory.parameter_bytes = 1024;
  stage.memory.gradient_bytes = 2048;
  stage.memory.optimizer_state_bytes = 4096;
  stage.memory.checkpoint_bytes = 256;
  stage.memory.working_set_bytes = 512;
  contents.stages.push_back(stage);
  contents.recompute = true;
  contents.split_stages = 2;
  CommunicationCosts comm;
  comm.latency_ms = 0.03;
  comm.bandwidth_gb_per_s = 7.5;
  comm.activation_bytes = 4096;
  comm.gradient_bytes = 4096;
  contents.communication = comm;
  DataParallelCosts dp;
  dp.replicas = 4;
  dp.latency_ms = 0.25;
  dp.bandwidth_gb_per_s = 12.5;
  dp.overlap_with_cooldown = false;  // as measured: the backends wait for the all-reduce
  contents.data_parallel = dp;
  ProfileOrigin origin;
  origin.backend = "cpu";
  origin.schedule = "1f1b";
  origin.processes = 2;
  origin.widths = {8, 16, 4};
  origin.microbatch_size = 4;
  origin.optimizer = "adam";
  origin.model_stages = 2;
  origin.contention = {1.5, 1.25, 1.125, 1.0};
  origin.layers = {{0.5, 0.25, 0.375, 0.0625}, {0.75, 0.25, 0.375, 0.0625}};
  contents.profile = origin;

  const CostConfig read = parse_cost_config(cost_file_text(contents));
  ASSERT_EQ(read.stages.size(), 1u);
  EXPECT_EQ(read.stages[0].stage, 1u);
  EXPECT_EQ(read.stages[0].costs.forward, 1.25);
  EXPECT_EQ(read.stages[0].costs.backward_input, 0.5);
  EXPECT_EQ(read.stages[0].costs.backward_weight, 0.75);
  EXPECT_EQ(read.stages[0].costs.optimizer_step, 0.125);
  EXPECT_FALSE(read.stages[0].costs.backward.has_value());
  const StageMemoryOverride& memory = read.stages[0].memory;
  EXPECT_EQ(memory.parameter_bytes, 1024);
  EXPECT_EQ(memory.gradient_bytes, 2048);
  EXPECT_EQ(memory.optimizer_state_bytes, 4096);
  EXPECT_EQ(memory.checkpoint_bytes, 256);
  EXPECT_EQ(memory.working_set_bytes, 512);
  EXPECT_FALSE(memory.stash_bytes.has_value());
  EXPECT_FALSE(memory.step_working_bytes.has_value());
  EXPECT_TRUE(read.memory.recompute);
  EXPECT_EQ(read.split_stages, 2u);
  EXPECT_EQ(read.communication.latency_ms, 0.03);
  EXPECT_EQ(read.communication.bandwidth_gb_per_s, 7.5);
  EXPECT_EQ(read.communication.activation_bytes, 4096);
  EXPECT_EQ(read.data_parallel.replicas, 4u);
  EXPECT_EQ(read.data_parallel.latency_ms, 0.25);
  EXPECT_EQ(read.data_parallel.bandwidth_gb_per_s, 12.5);
  EXPECT_FALSE(read.data_parallel.overlap_with_cooldown);
  ASSERT_TRUE(read.profile.has_value());
  EXPECT_EQ(read.profile->backend, "cpu");
  EXPECT_EQ(read.profile->schedule, "1f1b");
  EXPECT_EQ(read.profile->processes, 2u);
  EXPECT_EQ(read.profile->widths, origin.widths);
  EXPECT_EQ(read.profile->microbatch_size, 4u);
  EXPECT_EQ(read.profile->optimizer, "adam");
  EXPECT_EQ(read.profile->model_stages, 2u);
  EXPECT_EQ(read.profile->contention.forward, 1.5);
  ASSERT_EQ(read.profile->layers.size(), 2u);
  EXPECT_EQ(read.profile->layers[1].forward, 0.75);
  EXPECT_EQ(read.profile->layers[1].backward_weight, 0.375);
}

TEST(CostFileWriter, RefusesWhatTheReaderWouldRefuse) {
  CostFileContents contents;
  StageOverride stage;
  stage.costs.forward = -1.0;
  contents.stages.push_back(stage);
  EXPECT_THROW(cost_file_text(contents), Error);
}

// A measured file describes one split of its model: another p*v is refused in one line
// instead of costing the stages it does not list at the defaults.
TEST(CostFileProfile, FitsOnlyTheSplitItWasMeasuredAt) {
  const std::string measured =
      R"({"stages": [{"stage": 0, "forward": 2}, {"stage": 1, "forward": 3}],
          "profile": {"backend": "cpu", "schedule": "1f1b", "widths": [8, 8, 4],
                      "microbatch_size": 4, "optimizer": "sgd", "model_stages": 2,
                      "contention": {"forward": 1, "backward_input": 1, "backward_weight": 1,
                                     "optimizer_step": 1},
                      "layers": [{"forward": 2, "backward_input": 1, "backward_weight": 1,
                                  "optimizer_step": 0},
                                 {"forward": 3, "backward_input": 1, "backward_weight": 1,
                                  "optimizer_step": 0}]}})";
  EXPECT_EQ(error_of(measured, problem_of(2, 8)), "no error");
  EXPECT_EQ(parse_cost_config(measured).profile->processes, 1u);  // a file from before MPI profiles
  EXPECT_EQ(error_of(measured, problem_of(2, 8, 2)),
            "the costs were profiled with the model in 2 stages and this problem has p*v = 4: "
            "profile that split, or let simulate, sweep, run or recommend --costs cost it from the layers");
}

TEST(CostFileProfile, RefusesAnIncompleteProfile) {
  EXPECT_EQ(error_of(R"({"profile": {"backend": "cpu", "schedule": "1f1b", "widths": [8, 8, 4],
                        "microbatch_size": 4, "optimizer": "sgd", "model_stages": 2,
                        "contention": {"forward": 1, "backward_input": 1, "backward_weight": 1,
                                       "optimizer_step": 1},
                        "layers": [{"forward": 2, "backward_input": 1, "backward_weight": 1,
                                    "optimizer_step": 0}]}})"),
            "$.profile.layers must have one entry per layer (2, from widths; got 1)");
  EXPECT_EQ(error_of(R"({"profile": {"backend": "cpu"}})"), "$.profile.schedule is missing");
}

}  // namespace
}  // namespace pipewise::sim
