#pragma once
// Hand-built ops and schedules for the validation and serialisation tests, written out
// literally so that those tests do not depend on the generators or on the readers under
// test.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise::testing {

inline Op make_op(OpKind kind, std::uint32_t stage, std::uint32_t microbatch,
                  std::uint32_t iteration = 0, std::uint32_t weight_version = 0) {
  return Op{kind, 0, static_cast<std::uint16_t>(stage), microbatch, iteration, weight_version};
}

// Short constructors: F(stage, micro-batch, iteration, weight version) and so on.
inline Op F(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::Forward, s, mb, it, wv);
}
inline Op B(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::Backward, s, mb, it, wv);
}
inline Op I(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::BackwardInput, s, mb, it, wv);
}
inline Op W(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::BackwardWeight, s, mb, it, wv);
}
inline Op SendF(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::SendActivation, s, mb, it, wv);
}
inline Op RecvF(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::RecvActivation, s, mb, it, wv);
}
inline Op SendB(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::SendGrad, s, mb, it, wv);
}
inline Op RecvB(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::RecvGrad, s, mb, it, wv);
}
// The optimizer step of `s` dated to (micro-batch, iteration), replacing version `wv`.
inline Op Step(std::uint32_t s, std::uint32_t mb, std::uint32_t it = 0, std::uint32_t wv = 0) {
  return make_op(OpKind::OptimizerStep, s, mb, it, wv);
}

inline Schedule hand_schedule(Problem problem, std::vector<std::vector<Op>> programs,
                              std::string name = "custom") {
  Schedule schedule;
  schedule.name = std::move(name);
  schedule.problem = problem;
  schedule.programs = std::move(programs);
  return schedule;
}

inline Problem make_problem(std::uint32_t p, std::uint32_t m, std::uint32_t v = 1,
                            std::uint32_t n = 1, Placement placement = Placement::Looped) {
  return Problem{p, v, m, n, placement};
}

// 1F1B for p = 2, m = 2, one iteration, a step per stage at the end: device 0 warms up
// with one forward (p - d - 1 = 1), device 1 with none.
inline Schedule one_f_one_b_p2_m2() {
  return hand_schedule(make_problem(2, 2),
                       {{F(0, 0), F(0, 1), B(0, 0), B(0, 1), Step(0, 1)},
                        {F(1, 0), B(1, 0), F(1, 1), B(1, 1), Step(1, 1)}},
                       "1f1b");
}

// The same schedule lowered by hand: a send right after each producer, the recv right
// before each consumer.
inline Schedule one_f_one_b_p2_m2_lowered() {
  return hand_schedule(make_problem(2, 2),
                       {{F(0, 0), SendF(0, 0), F(0, 1), SendF(0, 1), RecvB(0, 0), B(0, 0),
                         RecvB(0, 1), B(0, 1), Step(0, 1)},
                        {RecvF(1, 0), F(1, 0), B(1, 0), SendB(1, 0), RecvF(1, 1), F(1, 1), B(1, 1),
                         SendB(1, 1), Step(1, 1)}},
                       "1f1b");
}

}  // namespace pipewise::testing
