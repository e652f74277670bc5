// How the CUDA backend runs, beyond its numbers: the device timeline from CUDA events, the
// report of devices and memory, injected faults, and the pieces it is built from (the
// row-major GEMM, green-context lanes, the NCCL one-rank loopback).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/core/timing_recorder.hpp"
#include "exec/cuda/device_arena.hpp"
#include "exec/cuda/device_lanes.hpp"
#include "exec/cuda/cuda_profile.hpp"
#include "exec/cuda/device_pool.hpp"
#include "exec/cuda/gemm.hpp"
#include "exec/cuda/nccl_comm.hpp"
#include "tests/exec/cuda/gpu_test_support.hpp"

namespace pipewise::exec {
namespace {

// Remembers the run's origin, which the device timeline is placed against.
class OriginObserver final : public RunObserver {
 public:
  void on_run_start(const Schedule&, std::int64_t origin_ns) override { origin_ns_ = origin_ns; }
  void on_op(std::uint32_t device, std::size_t, const Op&, std::int64_t, std::int64_t end_ns) override {
    if (device < last_end_ns_.size()) last_end_ns_[device] = std::max(last_end_ns_[device], end_ns);
  }
  void on_run_end(bool) override {}
  std::int64_t origin_ns() const { return origin_ns_; }
  // Host clock at which each device's worker finished its last op (the core's timing).
  std::vector<std::int64_t>& last_end_ns() { return last_end_ns_; }

 private:
  std::int64_t origin_ns_ = 0;
  std::vector<std::int64_t> last_end_ns_;
};

struct Fixture {
  MlpConfig config = test::small_mlp();
  SyntheticTask task = test::small_task(config);
  MlpModel model{config, 4};
};

TEST(CudaTimeline, EveryOpRunsInProgramOrderOnItsStream) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  const Schedule schedule = test::lowered("1f1b", test::problem(4, 8, 1));
  cuda::CudaBackend backend(f.model, f.task, OptimizerConfig::sgd(0.05f), test::emulated(4));
  OriginObserver observer;
  observer.last_end_ns().assign(4, 0);
  run_schedule(schedule, backend, {}, &observer);
  const auto timeline = backend.device_timeline(observer.origin_ns());
  ASSERT_EQ(timeline.size(), 4u);
  for (std::uint32_t d = 0; d < 4; ++d) {
    ASSERT_EQ(timeline[d].size(), schedule.programs[d].size());
    for (std::size_t i = 0; i < timeline[d].size(); ++i) {
      const OpInterval& op = timeline[d][i];
      ASSERT_TRUE(op.ran()) << "device " << d << " op " << i;
      EXPECT_LE(op.start_ns, op.end_ns) << "device " << d << " op " << i;
      // One stream per device: an op's events are recorded after the previous op's.
      if (i > 0) {
        EXPECT_GE(op.start_ns, timeline[d][i - 1].end_ns) << "device " << d << " op " << i;
      }
    }
    // The device's last op returns to the core only after its GPU work completed, so the
    // GPU finished before the host saw it finish (up to the reference's 1 ms slack).
    EXPECT_LE(observer.origin_ns() + timeline[d].back().end_ns, observer.last_end_ns()[d] + 1'000'000)
        << "device " << d;
  }
}

TEST(CudaTimeline, ReplayFeedsTheCoresTimingRecorder) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  const Schedule schedule = test::lowered("gpipe", test::problem(4, 4, 1));
  cuda::CudaBackend backend(f.model, f.task, OptimizerConfig::sgd(0.05f), test::emulated(4));
  OriginObserver observer;
  run_schedule(schedule, backend, {}, &observer);
  TimingRecorder recorder;
  backend.replay_device_timeline(recorder, observer.origin_ns());
  EXPECT_TRUE(recorder.succeeded());
  const auto timeline = backend.device_timeline(observer.origin_ns());
  ASSERT_EQ(recorder.intervals().size(), timeline.size());
  for (std::size_t d = 0; d < timeline.size(); ++d) {
    ASSERT_EQ(recorder.intervals()[d].size(), timeline[d].size());
    for (std::size_t i = 0; i < timeline[d].size(); ++i) {
      EXPECT_EQ(recorder.intervals()[d][i].start_ns, timeline[d][i].start_ns) << d << " " << i;
      EXPECT_EQ(recorder.intervals()[d][i].end_ns, timeline[d][i].end_ns) << d << " " << i;
    }
  }
  EXPECT_GT(recorder.makespan_ns(), 0);
  for (std::uint32_t d = 0; d < 4; ++d) EXPECT_GT(recorder.compute_ns(d), 0) << d;
}

TEST(CudaReport, EmulatedDevicesArePartitionedOrTheFallbackIsNamed) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  cuda::CudaBackend backend(f.model, f.task, OptimizerConfig::sgd(0.05f), test::emulated(4));
  run_schedule(test::lowered("1f1b", test::problem(4, 4, 1)), backend);
  const cuda::CudaRunReport& report = backend.report();
  EXPECT_EQ(report.mode, cuda::DeviceMode::Emulated);
  ASSERT_EQ(report.devices.size(), 4u);
  const bool partitioned = report.fallback_reason.empty();
  std::printf("emulated devices: %s%s\n", partitioned ? "green contexts" : "shared streams: ",
              report.fallback_reason.c_str());
  for (const cuda::CudaDeviceReport& device : report.devices) {
    EXPECT_EQ(device.isolation,
              partitioned ? cuda::Isolation::GreenContext : cuda::Isolation::SharedStreams);
    EXPECT_EQ(device.sms, report.devices.front().sms);
    if (partitioned) {
      EXPECT_EQ(device.sms % 8, 0u) << "Hopper partitions come in steps of 8 SMs";
    }
  }
  if (partitioned) {
    int total = 0;
    ASSERT_EQ(cudaDeviceGetAttribute(&total, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
    EXPECT_EQ(4 * report.devices.front().sms + report.unused_sms, static_cast<std::uint32_t>(total));
  }
}

TEST(CudaReport, ArenasHoldTheRunAndTheDriverSawTheirReservation) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  cuda::CudaBackend backend(f.model, f.task, OptimizerConfig::adam(0.002f), test::emulated(4));
  run_schedule(test::lowered("gpipe", test::problem(4, 8, 1)), backend);
  const cuda::CudaRunReport& report = backend.report();
  for (std::uint32_t d = 0; d < 4; ++d) {
    const cuda::CudaDeviceReport& device = report.devices[d];
    // The reservation sized from the schedule was enough: nothing grew mid-run.
    EXPECT_EQ(device.arena_grown_segments, 0u) << d;
    EXPECT_LE(device.arena_peak_bytes, device.arena_reserved_bytes) << d;
    // The arena holds at least what the account says the device held at its peak.
    EXPECT_GE(device.arena_peak_bytes, backend.memory(d).peak_bytes()) << d;
  }
  ASSERT_EQ(report.gpus.size(), 1u);
  // cudaMalloc takes whole pages, so free memory drops by at least what was reserved.
  EXPECT_GE(report.gpus[0].observed_drop_bytes, report.gpus[0].arena_reserved_bytes);
}

// Corrupts or drops the first message of one op kind.
class MessageFaults final : public FaultHook {
 public:
  MessageFaults(OpKind kind, MessageFault fault) : kind_(kind), fault_(fault) {}
  void before_op(std::uint32_t, const Op&, std::stop_token) override {}
  MessageFault on_message(std::uint32_t, const Op& op) override {
    if (op.kind != kind_ || fired_.exchange(true)) return MessageFault::None;
    return fault_;
  }

 private:
  OpKind kind_;
  MessageFault fault_;
  std::atomic<bool> fired_{false};
};

std::string run_error(const Schedule& schedule, cuda::CudaBackend& backend, const RunOptions& options) {
  try {
    run_schedule(schedule, backend, options);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(CudaFaults, ACorruptedMessageFailsItsChecksum) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  const Schedule schedule = test::lowered("1f1b", test::problem(4, 4, 1));
  for (cuda::TransportChoice transport : {cuda::TransportChoice::Copy, cuda::TransportChoice::Nccl}) {
    cuda::CudaBackendOptions options = test::emulated(4);
    options.green_contexts = false;  // as NcclLoopbackTransportMatchesTheCpu
    options.transport = transport;
    cuda::CudaBackend backend(f.model, f.task, OptimizerConfig::sgd(0.05f), options);
    MessageFaults faults(OpKind::SendActivation, MessageFault::Corrupt);
    RunOptions run;
    run.verify_checksums = true;
    run.faults = &faults;
    EXPECT_NE(run_error(schedule, backend, run).find("failed its checksum"), std::string::npos)
        << cuda::transport_choice_name(transport);
    // The backend is usable again after the failed run.
    EXPECT_EQ(run_error(schedule, backend, {}), "no error") << cuda::transport_choice_name(transport);
  }
}

TEST(CudaFaults, ADroppedMessageTimesOutNamingTheSender) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  cuda::CudaBackend backend(f.model, f.task, OptimizerConfig::sgd(0.05f), test::emulated(4));
  MessageFaults faults(OpKind::SendGrad, MessageFault::Drop);
  RunOptions run;
  run.faults = &faults;
  run.receive_timeout = std::chrono::milliseconds(300);
  EXPECT_NE(run_error(test::lowered("gpipe", test::problem(4, 2, 1)), backend, run)
                .find("no message from device"),
            std::string::npos);
}

TEST(CudaProfile, EveryStageAndTransferIsTimedOnTheRunsLanes) {
  PIPEWISE_REQUIRE_GPU();
  Fixture f;
  ProfileOptions options;
  options.warmup = 1;
  options.repeats = 3;
  options.transfer_bytes = {4096, 65536};
  const ExecutionProfile profile = cuda::profile_cuda_execution(
      f.model, f.task, OptimizerConfig::adam(0.002f), test::emulated(4), 4, options);
  ASSERT_EQ(profile.stages.size(), 4u);
  for (std::uint32_t s = 0; s < 4; ++s) {
    const StageProfile& stage = profile.stages[s];
    EXPECT_GT(stage.forward_ms, 0.0) << s;
    EXPECT_GT(stage.backward_input_ms, 0.0) << s;
    EXPECT_GT(stage.backward_weight_ms, 0.0) << s;
    EXPECT_GT(stage.backward_ms, 0.0) << s;
    EXPECT_GT(stage.optimizer_step_ms, 0.0) << s;
    EXPECT_GT(stage.stashing_step_ms, 0.0) << s;
    EXPECT_EQ(stage.parameter_bytes, f.model.stage(s).parameter_count * sizeof(float)) << s;
    EXPECT_EQ(stage.output_bytes, std::size_t{f.task.rows()} * f.model.stage(s).output_width() * 4) << s;
  }
  ASSERT_EQ(profile.transfer.samples.size(), 2u);
  EXPECT_EQ(profile.transfer.samples[1].bytes, 65536u);
  for (const TransferSample& sample : profile.transfer.samples) EXPECT_GT(sample.median_ms, 0.0);
}

TEST(CudaPieces, GemmComputesRowMajorProducts) {
  PIPEWISE_REQUIRE_GPU();
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  {
    cuda::DeviceArena arena(0, 1 << 20);
    cuda::DevicePool pool(arena);
    cuda::Gemm gemm(stream, 0, cuda::MathMode::Fp32);
    // A = [1 2 3; 4 5 6] (2 x 3), B = [1 0; 0 1; 1 1] (3 x 2): A B = [4 5; 10 11].
    // A^T (3 x 2) times A (2 x 3) via trans_a: [17 22 27; 22 29 36; 27 36 45].
    const std::vector<float> a = {1, 2, 3, 4, 5, 6};
    const std::vector<float> b = {1, 0, 0, 1, 1, 1};
    cuda::DeviceBuffer da = pool.take_untracked(6), db = pool.take_untracked(6),
                       dc = pool.take_untracked(9);
    ASSERT_EQ(cudaMemcpy(da.data, a.data(), 24, cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(db.data, b.data(), 24, cudaMemcpyHostToDevice), cudaSuccess);
    std::vector<float> c(9, 0.0f);
    gemm.multiply(false, false, 2, 2, 3, 1.0f, da.data, db.data, 0.0f, dc.data, pool);
    ASSERT_EQ(cudaMemcpy(c.data(), dc.data, 16, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(std::vector<float>(c.begin(), c.begin() + 4), (std::vector<float>{4, 5, 10, 11}));
    gemm.multiply(true, false, 3, 3, 2, 1.0f, da.data, da.data, 0.0f, dc.data, pool);
    ASSERT_EQ(cudaMemcpy(c.data(), dc.data, 36, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(c, (std::vector<float>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
    // A B^T with B = A: [1 2 3; 4 5 6] [1 4; 2 5; 3 6] = [14 32; 32 77], accumulated onto 1s.
    const std::vector<float> ones(4, 1.0f);
    ASSERT_EQ(cudaMemcpy(dc.data, ones.data(), 16, cudaMemcpyHostToDevice), cudaSuccess);
    gemm.multiply(false, true, 2, 2, 3, 1.0f, da.data, da.data, 1.0f, dc.data, pool);
    ASSERT_EQ(cudaMemcpy(c.data(), dc.data, 16, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(std::vector<float>(c.begin(), c.begin() + 4), (std::vector<float>{15, 33, 33, 78}));
    gemm.release_scratch(pool);
  }
  cudaStreamDestroy(stream);
}

TEST(CudaPieces, GreenContextLanesSplitTheGpuEqually) {
  PIPEWISE_REQUIRE_GPU();
  const cuda::LaneSet lanes({cuda::DeviceMode::Emulated, {0, 0, 0, 0}}, true, 0);
  ASSERT_EQ(lanes.lanes().size(), 4u);
  if (!lanes.fallback_reason().empty()) {
    GTEST_SKIP() << "green contexts unavailable here: " << lanes.fallback_reason();
  }
  int total = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&total, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
  std::uint32_t used = 0;
  for (const cuda::Lane& lane : lanes.lanes()) {
    EXPECT_EQ(lane.isolation, cuda::Isolation::GreenContext);
    EXPECT_NE(lane.context, nullptr);
    EXPECT_EQ(lane.sms, lanes.lanes().front().sms);
    used += lane.sms;
  }
  EXPECT_EQ(used + lanes.unused_sms(), static_cast<std::uint32_t>(total));
}

TEST(CudaPieces, OneRankNcclCommunicatorSendsToItselfInOneGroup) {
  PIPEWISE_REQUIRE_GPU();
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  {
    const cuda::NcclComm comm = cuda::make_nccl_loopback(0);
    float* buffers = nullptr;
    ASSERT_EQ(cudaMalloc(&buffers, 8 * sizeof(float)), cudaSuccess);
    const std::vector<float> sent = {1, 2, 3, 4};
    ASSERT_EQ(cudaMemcpy(buffers, sent.data(), 16, cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(ncclGroupStart(), ncclSuccess);
    ASSERT_EQ(ncclSend(buffers, 4, ncclFloat, 0, comm.get(), stream), ncclSuccess);
    ASSERT_EQ(ncclRecv(buffers + 4, 4, ncclFloat, 0, comm.get(), stream), ncclSuccess);
    ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    comm.check_async("loopback test");
    std::vector<float> received(4, 0.0f);
    ASSERT_EQ(cudaMemcpy(received.data(), buffers + 4, 16, cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_EQ(received, sent);
    cudaFree(buffers);
  }
  cudaStreamDestroy(stream);
}

}  // namespace
}  // namespace pipewise::exec
