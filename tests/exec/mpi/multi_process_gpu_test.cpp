// One GPU per rank (exec/cuda CudaBackendOptions::rank): GPipe, 1F1B and interleaved (v = 2,
// its receives posted ahead for NCCL's groups as `pipewise run` does) across the ranks of
// a p × d grid, messages by NCCL between the processes and the gradient all-reduce by NCCL
// across the replicas, train as the single-process CPU run with d times the micro-batches
// does (1e-4 relative, fp32 GEMMs on both). Needs a GPU of its own for every rank: skipped on
// every rank, saying so, where one rank has none.
#include <gtest/gtest.h>

#include <mpi.h>

#include <string>
#include <vector>

#include "exec/core/executor.hpp"
#include "exec/cpu/cpu_backend.hpp"
#include "exec/cuda/cuda_backend.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/planning/receives_ahead.hpp"
#include "exec/mpi/mpi_exchange.hpp"
#include "tests/exec/exec_test_support.hpp"
#include "tests/exec/mpi/mpi_test_support.hpp"

namespace pipewise::exec::mpi {
namespace {

constexpr double kTolerance = 1e-4;
constexpr std::uint32_t kMicrobatches = 4;  // per replica
constexpr std::uint32_t kIterations = 2;
constexpr std::uint32_t kSteps = 2;

Deadline deadline() { return std::chrono::steady_clock::now() + mpi_test::kTestTimeout; }

RunOptions run_options() {
  RunOptions options;
  options.receive_timeout = mpi_test::kTestTimeout;
  options.verify_checksums = true;
  return options;
}

// Empty when every rank has a GPU of its own, else why this rank, or some other, has none.
std::string why_not_every_rank_has_a_gpu() {
  const cuda::DeviceCount gpus = cuda::cuda_device_count();
  const bool mine = gpus.count > static_cast<int>(mpi_test::world().local_rank());
  int everyone = mine ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &everyone, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (everyone == 1) return "";
  if (gpus.count == 0) return "no CUDA device: " + std::string(gpus.reason);
  return "every rank needs a GPU of its own: this machine runs " +
         std::to_string(mpi_test::world().local_ranks()) + " rank(s) and has " +
         std::to_string(gpus.count) + " GPU(s), or another machine has too few";
}

// This rank's place in `grid`, its NCCL unique ids broadcast over the grid's communicators.
cuda::RankPlacement placement(const GridCommunicators& grid) {
  cuda::RankPlacement rank;
  rank.device = grid.self().device;
  rank.devices = grid.grid().devices;
  rank.replica = grid.self().replica;
  rank.replicas = grid.grid().replicas;
  rank.local_rank = mpi_test::world().local_rank();
  rank.broadcast = [&grid](cuda::RankGroup group, void* bytes, std::size_t size) {
    broadcast_bytes(bytes, size, group == cuda::RankGroup::Pipeline ? grid.pipeline() : grid.data_parallel(),
                    deadline(), mpi_test::world().waiting(), "an NCCL unique id");
  };
  return rank;
}

class MultiProcessGpuTraining : public ::testing::Test {
 protected:
  void TearDown() override { meet(MPI_COMM_WORLD, deadline(), "the test's end"); }
};

TEST_F(MultiProcessGpuTraining, OneGpuPerRankTrainsAsTheSingleProcessCpuRun) {
  const std::string missing = why_not_every_rank_has_a_gpu();
  if (!missing.empty()) GTEST_SKIP() << missing;
  const MlpConfig config = test::small_mlp();
  const SyntheticTask task = test::small_task(config);
  const OptimizerConfig optimizer = OptimizerConfig::sgd(0.05f, 0.9f);
  ASSERT_FALSE(mpi_test::grids().empty()) << "run with 2 or 4 ranks (or a multiple)";
  for (const RankGrid& layout : mpi_test::grids()) {
    const GridCommunicators grid(mpi_test::world(), layout);
    const RankPosition self = grid.self();
    struct Case {
      const char* name;
      std::uint32_t chunks;
    };
    for (const auto& [name, chunks] : {Case{"gpipe", 1}, Case{"1f1b", 1}, Case{"interleaved", 2}}) {
      const std::string what = std::string(name) + " p=" + std::to_string(layout.devices) + " v=" +
                               std::to_string(chunks) + " d=" + std::to_string(layout.replicas);
      const Problem shape = test::problem(layout.devices, kMicrobatches, kIterations, chunks);
      const Schedule schedule = cuda::post_receives_ahead(test::lowered(name, shape));
      const MlpModel model(config, shape.stages());
      cuda::CudaBackendOptions options;
      options.rank = placement(grid);
      cuda::CudaBackend backend(model, task, optimizer, options);
      const std::vector<std::uint32_t> mine = {self.device};
      for (std::uint32_t step = 0; step < kSteps; ++step) run_devices(schedule, mine, backend, run_options());
      const std::vector<std::vector<float>> gathered =
          mpi_test::gather_on_rank_zero(mpi_test::stages_of(backend, shape, self.device));
      if (mpi_test::world().rank() != 0) continue;
      const Problem whole = test::problem(layout.devices, kMicrobatches * layout.replicas, kIterations, chunks);
      CpuBackend single(model, task, optimizer);
      for (std::uint32_t step = 0; step < kSteps; ++step) {
        run_schedule(test::lowered(name, whole), single, run_options());
      }
      mpi_test::expect_every_rank_trained_as(gathered, layout, single, shape, kTolerance, what);
    }
  }
}

}  // namespace
}  // namespace pipewise::exec::mpi
