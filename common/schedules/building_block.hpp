#pragma once
// The building-block construction of Qi, Wan, Amar and Lin, "Pipeline Parallelism with
// Controllable Memory", NeurIPS 2024 (arXiv 2405.15362), §3-4, shared by the V-shape
// schedules v-half and v-min.
//
// A building block lays out the passes of one micro-batch on a grid of unit time slots:
// on device d, its chunk-0 forward (stage d), chunk-1 forward (stage 2p-1-d), chunk-1
// input gradient and chunk-0 input gradient at fixed offsets. Repeating the block every 6
// slots (each device runs F, F, I, I, W, W per micro-batch) gives every pass of every
// micro-batch its slot; a legal block never puts two passes in one slot. Each W then goes
// into the first free slot of its device after its I (the oldest pending W first), the W's
// left over close the program, and a device's program is its passes in slot order. The
// lifespan of a micro-batch on a device (from its forward to its last weight gradient) sets
// the device's peak memory: about lifespan / 6 micro-batches, which the block offsets
// control. The simulator then runs the programs as soon as their inputs allow, which is the
// paper's "squeezing".
#include <array>
#include <cstdint>
#include <string>

#include "common/ir/schedule.hpp"

namespace pipewise {

// The offsets of one device's block: chunk-0 forward, chunk-1 forward, chunk-1 input
// gradient, chunk-0 input gradient (slots from the start of the run, micro-batch 0).
using BlockOffsets = std::array<std::uint64_t, 4>;

// The schedule `name` that repeats the block `offsets(p, d)` of every device d of
// `problem` (V-shape placement) for each micro-batch, as described above, with a flush per
// iteration. REQUIRES: V-shape placement; the repeated blocks of each device never share a
// slot; the slots respect the dependencies of one micro-batch with unit pass times.
Schedule repeated_block_schedule(std::string name, const Problem& problem,
                                 BlockOffsets (*offsets)(std::uint32_t devices,
                                                         std::uint32_t device));

}  // namespace pipewise
