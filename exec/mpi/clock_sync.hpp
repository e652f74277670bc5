#pragma once
#include <cstdint>
#include <vector>

#include "exec/mpi/mpi_exchange.hpp"
#include "exec/mpi/mpi_world.hpp"
#include "exec/mpi/planning/clock_alignment.hpp"
#include "exec/mpi/planning/message_numbering.hpp"

namespace pipewise::exec::mpi {

// The clock the CPU backend times ops with (steady_clock), in ns.
std::int64_t steady_now_ns();

// Collective over the world. On rank 0: the offset of every rank's clock against rank 0's
// (its own 0), each from `rounds` ping-pongs with that rank in turn (estimate_offset); on the
// other ranks: they answer rank 0's pings, and get an empty list. Throws pipewise::Error when a
// rank does not answer by `deadline`.
std::vector<ClockOffset> measure_clock_offsets(const MpiWorld& world, std::uint32_t rounds,
                                               Deadline deadline);

}  // namespace pipewise::exec::mpi
