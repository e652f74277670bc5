#include "exec/mpi/planning/message_numbering.hpp"

#include <string>

namespace pipewise::exec::mpi {

Status check_tags_fit(const MessageNumbering& numbering, std::uint32_t iterations,
                      std::uint64_t tag_upper_bound) {
  const std::uint64_t last = numbering.last_tag(iterations);
  if (last <= tag_upper_bound) return {};
  return Status::failure("a run of " + std::to_string(numbering.stages) + " stages, " +
                         std::to_string(numbering.microbatches) + " micro-batches and " +
                         std::to_string(iterations) + " iterations needs MPI tags up to " +
                         std::to_string(last) + ", past this MPI's limit of " +
                         std::to_string(tag_upper_bound));
}

}  // namespace pipewise::exec::mpi
