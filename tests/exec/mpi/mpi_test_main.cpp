// main() of the MPI suites: MPI for the whole program, GoogleTest on every rank; rank 0 prints
// GoogleTest's report, the other ranks only their failures, each line naming the rank.
#include <cstdio>
#include <memory>

#include "tests/exec/mpi/mpi_test_support.hpp"

namespace pipewise::exec::mpi_test {
namespace {

mpi::MpiWorld* the_world = nullptr;

class FailurePrinter final : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(std::uint32_t rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::printf("rank %u: %s:%d: failure\n%s\n", rank_, result.file_name() ? result.file_name() : "?",
                result.line_number(), result.summary());
    std::fflush(stdout);
  }

 private:
  std::uint32_t rank_;
};

}  // namespace

const mpi::MpiWorld& world() { return *the_world; }

}  // namespace pipewise::exec::mpi_test

int main(int argc, char** argv) {
  using namespace pipewise::exec;
  ::testing::InitGoogleTest(&argc, argv);
  auto world = std::make_unique<mpi::MpiWorld>();
  mpi_test::the_world = world.get();
  if (world->rank() != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new mpi_test::FailurePrinter(world->rank()));
  }
  const int status = RUN_ALL_TESTS();
  std::fflush(stdout);
  world.reset();  // MPI_Finalize
  return status;
}
