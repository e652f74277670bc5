#pragma once
// Schedules written out by hand for the simulator's tests, following the papers' orders,
// so the simulator is tested independently of the generators in common/schedules.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"
#include "common/ir/weight_versions.hpp"

namespace pipewise::sim::testing {

inline Op make_op(OpKind kind, std::uint32_t stage, std::uint32_t microbatch,
                  std::uint32_t iteration = 0) {
  Op op;
  op.kind = kind;
  op.stage = static_cast<std::uint16_t>(stage);
  op.microbatch = microbatch;
  op.iteration = iteration;
  return op;
}

inline Schedule empty_schedule(const std::string& name, std::uint32_t p, std::uint32_t m,
                               std::uint32_t v = 1, std::uint32_t n = 1) {
  Schedule schedule;
  schedule.name = name;
  schedule.problem.devices = p;
  schedule.problem.microbatches = m;
  schedule.problem.chunks = v;
  schedule.problem.iterations = n;
  schedule.programs.resize(p);
  return schedule;
}

// One micro-batch at a time: device d runs F(d, j), B(d, j) for j = 0..m-1.
inline Schedule naive_schedule(std::uint32_t p, std::uint32_t m) {
  Schedule schedule = empty_schedule("naive", p, m);
  for (std::uint32_t d = 0; d < p; ++d) {
    for (std::uint32_t j = 0; j < m; ++j) {
      schedule.programs[d].push_back(make_op(OpKind::Forward, d, j));
      schedule.programs[d].push_back(make_op(OpKind::Backward, d, j));
    }
  }
  return schedule;
}

// GPipe: all forwards, then all backwards, both in micro-batch order.
inline Schedule gpipe_schedule(std::uint32_t p, std::uint32_t m, bool with_steps = false) {
  Schedule schedule = empty_schedule("gpipe", p, m);
  for (std::uint32_t d = 0; d < p; ++d) {
    for (std::uint32_t j = 0; j < m; ++j) schedule.programs[d].push_back(make_op(OpKind::Forward, d, j));
    for (std::uint32_t j = 0; j < m; ++j) schedule.programs[d].push_back(make_op(OpKind::Backward, d, j));
    if (with_steps) schedule.programs[d].push_back(make_op(OpKind::OptimizerStep, d, 0));
  }
  return schedule;
}

// 1F1B (PipeDream-Flush): min(p-d-1, m) warm-up forwards, F/B pairs, cool-down backwards.
// With `split`, every B is an I followed at once by its W.
inline Schedule one_f_one_b_schedule(std::uint32_t p, std::uint32_t m, bool split = false,
                                     bool with_steps = false) {
  Schedule schedule = empty_schedule(split ? "1f1b-split" : "1f1b", p, m);
  for (std::uint32_t d = 0; d < p; ++d) {
    auto& program = schedule.programs[d];
    const auto backward = [&](std::uint32_t j) {
      if (split) {
        program.push_back(make_op(OpKind::BackwardInput, d, j));
        program.push_back(make_op(OpKind::BackwardWeight, d, j));
      } else {
        program.push_back(make_op(OpKind::Backward, d, j));
      }
    };
    const std::uint32_t warmup = std::min(p - d - 1, m);
    for (std::uint32_t j = 0; j < warmup; ++j) program.push_back(make_op(OpKind::Forward, d, j));
    for (std::uint32_t i = 0; i + warmup < m; ++i) {
      program.push_back(make_op(OpKind::Forward, d, warmup + i));
      backward(i);
    }
    for (std::uint32_t j = m - warmup; j < m; ++j) backward(j);
    if (with_steps) program.push_back(make_op(OpKind::OptimizerStep, d, 0));
  }
  return schedule;
}

// Megatron-LM's interleaved 1F1B (Narayanan et al. 2021) with v looped chunks: device d
// holds stages d, d+p, ..., and works through its m·v (micro-batch, chunk) units in groups
// of p micro-batches per chunk. REQUIRES m a multiple of p.
inline Schedule interleaved_schedule(std::uint32_t p, std::uint32_t m, std::uint32_t v) {
  Schedule schedule = empty_schedule("interleaved", p, m, v);
  const std::uint32_t units = m * v;
  const auto microbatch_of = [&](std::uint32_t k) { return (k / (p * v)) * p + k % p; };
  const auto chunk_of = [&](std::uint32_t k) { return (k / p) % v; };
  for (std::uint32_t d = 0; d < p; ++d) {
    auto& program = schedule.programs[d];
    const auto forward = [&](std::uint32_t k) {
      program.push_back(make_op(OpKind::Forward, chunk_of(k) * p + d, microbatch_of(k)));
    };
    const auto backward = [&](std::uint32_t k) {
      program.push_back(make_op(OpKind::Backward, (v - 1 - chunk_of(k)) * p + d, microbatch_of(k)));
    };
    const std::uint32_t warmup = std::min(units, (p - d - 1) * 2 + (v - 1) * p);
    for (std::uint32_t k = 0; k < warmup; ++k) forward(k);
    for (std::uint32_t i = 0; i + warmup < units; ++i) {
      forward(warmup + i);
      backward(i);
    }
    for (std::uint32_t k = units - warmup; k < units; ++k) backward(k);
  }
  return schedule;
}

// PipeDream (asynchronous 1F1B, weight stashing): the n·m micro-batches flow as one stream
// with no flush; every backward is followed by an optimizer step. Weight versions are
// assigned from program order (common/ir/weight_versions.hpp).
inline Schedule pipedream_schedule(std::uint32_t p, std::uint32_t m, std::uint32_t n) {
  Schedule schedule = empty_schedule("pipedream", p, m, 1, n);
  const std::uint32_t total = m * n;
  for (std::uint32_t d = 0; d < p; ++d) {
    auto& program = schedule.programs[d];
    const auto forward = [&](std::uint32_t k) {
      program.push_back(make_op(OpKind::Forward, d, k % m, k / m));
    };
    const auto backward = [&](std::uint32_t k) {
      program.push_back(make_op(OpKind::Backward, d, k % m, k / m));
      program.push_back(make_op(OpKind::OptimizerStep, d, 0, k / m));
    };
    const std::uint32_t warmup = std::min(p - d - 1, total);
    for (std::uint32_t k = 0; k < warmup; ++k) forward(k);
    for (std::uint32_t i = 0; i + warmup < total; ++i) {
      forward(warmup + i);
      backward(i);
    }
    for (std::uint32_t k = total - warmup; k < total; ++k) backward(k);
  }
  assign_weight_versions(schedule);
  return schedule;
}

}  // namespace pipewise::sim::testing
