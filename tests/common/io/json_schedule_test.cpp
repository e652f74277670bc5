// Specification of the JSON schedule form: the exact layout of a small schedule, round
// trips of hand-built and generated schedules, and the message for each malformed input.
#include "common/io/json_schedule.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/ir/error.hpp"
#include "common/ir/lower.hpp"
#include "common/schedules/registry.hpp"
#include "tests/common/schedule_test_support.hpp"

namespace pipewise {
namespace {

using testing::B;
using testing::F;
using testing::hand_schedule;
using testing::make_problem;
using testing::Step;

// The message schedule_from_json throws for `text`, or "" when it accepts it.
std::string read_error(const std::string& text) {
  try {
    schedule_from_json(text);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

// `text` with its first `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ScheduleJson, WritesTheHeaderTheProblemAndEachOpOnALineOfItsOwn) {
  const Schedule schedule =
      hand_schedule(make_problem(1, 1), {{F(0, 0), B(0, 0), Step(0, 0)}}, "naive");
  EXPECT_EQ(schedule_to_json(schedule),
            R"({"schema": "pipewise.schedule", "version": 1, "name": "naive",
 "problem": {"devices": 1, "chunks": 1, "microbatches": 1, "iterations": 1, "placement": "looped"},
 "programs": [
  [
   {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "optimizer_step", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0}
  ]
 ]}
)");
}

TEST(ScheduleJson, WritesAnEmptyProgramAsAnEmptyArrayAndEscapesTheName) {
  const Schedule schedule = hand_schedule(make_problem(2, 1, 1, 1, Placement::Looped), {{}, {}},
                                          "say \"hi\"\\ to caf\xc3\xa9");
  EXPECT_EQ(schedule_to_json(schedule),
            R"({"schema": "pipewise.schedule", "version": 1, "name": "say \"hi\"\\ to café",
 "problem": {"devices": 2, "chunks": 1, "microbatches": 1, "iterations": 1, "placement": "looped"},
 "programs": [
  [],
  []
 ]}
)");
  EXPECT_EQ(schedule_from_json(schedule_to_json(schedule)), schedule);
}

TEST(ScheduleJson, HandBuiltSchedulesRoundTripByteForByte) {
  for (const Schedule& schedule :
       {testing::one_f_one_b_p2_m2(), testing::one_f_one_b_p2_m2_lowered(),
        hand_schedule(
            make_problem(2, 1, 2, 3, Placement::VShape),
            {{F(0, 0, 2, 7), B(3, 0, 1, 4294967295u), Step(0, 0, 2, 9)}, {F(1, 0), F(2, 0)}},
            "v-shape, odd versions")}) {
    const std::string json = schedule_to_json(schedule);
    const Schedule back = schedule_from_json(json);
    EXPECT_EQ(back, schedule);
    EXPECT_EQ(schedule_to_json(back), json);
  }
}

TEST(ScheduleJson, GeneratedSchedulesRoundTripByteForByteLoweredOrNot) {
  for (const ScheduleInfo& info : schedule_catalog()) {
    const Problem problem = make_problem(
        4, 8, info.fixed_chunks != 0 ? info.fixed_chunks : info.uses_chunks ? 2 : 1, 2,
        info.placement);
    const Schedule generated = generate_schedule(info.name, problem);
    for (const Schedule& schedule : {generated, lower_communication(generated)}) {
      const std::string json = schedule_to_json(schedule);
      const Schedule back = schedule_from_json(json);
      EXPECT_EQ(back, schedule) << info.name;
      EXPECT_EQ(schedule_to_json(back), json) << info.name;
    }
  }
}

TEST(ScheduleJson, LeftOutOptionalFieldsTakeTheirDefaultsAndVersionsAreDerived) {
  // Naive order over two iterations with a step after each: without weight_version the
  // reader derives them, so the second iteration's F and B read version 1 and its step
  // replaces version 1.
  const Schedule schedule = schedule_from_json(R"({"schema": "pipewise.schedule", "version": 1,
    "problem": {"devices": 1, "microbatches": 1, "iterations": 2},
    "programs": [[
      {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0},
      {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 0},
      {"kind": "optimizer_step", "stage": 0, "microbatch": 0, "iteration": 0},
      {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 1},
      {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 1},
      {"kind": "optimizer_step", "stage": 0, "microbatch": 0, "iteration": 1}]]})");
  EXPECT_EQ(schedule, hand_schedule(make_problem(1, 1, 1, 2),
                                    {{F(0, 0, 0, 0), B(0, 0, 0, 0), Step(0, 0, 0, 0), F(0, 0, 1, 1),
                                      B(0, 0, 1, 1), Step(0, 0, 1, 1)}},
                                    "custom"));
}

// A valid document for p = 1, m = 2 that the error cases below break one way each.
const std::string kTiny = R"({"schema": "pipewise.schedule", "version": 1, "name": "tiny",
 "problem": {"devices": 1, "chunks": 1, "microbatches": 2, "iterations": 1, "placement": "looped"},
 "programs": [
  [
   {"kind": "forward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0},
   {"kind": "backward", "stage": 0, "microbatch": 0, "iteration": 0, "weight_version": 0}
  ]
 ]}
)";

TEST(ScheduleJson, TheTinyDocumentIsValid) { EXPECT_EQ(read_error(kTiny), ""); }

TEST(ScheduleJson, MalformedJsonNamesTheByteOffset) {
  // The second comma is at byte 31: `{` is byte 0, `"schema"` bytes 1-8, `:` 9, a space
  // 10, `"pipewise.schedule"` 11-29, the first comma 30.
  EXPECT_EQ(read_error(R"({"schema": "pipewise.schedule",, })"),
            "malformed JSON at byte 31 (line 1, column 32): syntax error while parsing object "
            "key - unexpected ','; expected string literal");
  EXPECT_EQ(read_error(""),
            "malformed JSON at byte 0 (line 1, column 1): syntax error while parsing value - "
            "unexpected end of input; expected '[', '{', or a literal");
}

TEST(ScheduleJson, RejectsAnotherSchemaOrVersion) {
  EXPECT_EQ(read_error(replaced(kTiny, "pipewise.schedule", "other.schedule")),
            "schema: expected \"pipewise.schedule\", got \"other.schedule\"");
  EXPECT_EQ(read_error(replaced(kTiny, "\"version\": 1", "\"version\": 2")),
            "version: unsupported version 2 (this pipewise reads version 1)");
  EXPECT_EQ(read_error(replaced(kTiny, "\"schema\": \"pipewise.schedule\", ", "")),
            "not a pipewise schedule: missing field \"schema\"");
  EXPECT_EQ(read_error("[1, 2]"), "expected a JSON object at the top level, got an array");
}

TEST(ScheduleJson, NamesTheMissingField) {
  EXPECT_EQ(
      read_error(replaced(kTiny,
                          "\"stage\": 0, \"microbatch\": 0, \"iteration\": 0, "
                          "\"weight_version\": 0}\n  ]",
                          "\"microbatch\": 0, \"iteration\": 0, \"weight_version\": 0}\n  ]")),
      "programs[0][1]: missing field \"stage\"");
  EXPECT_EQ(read_error(replaced(kTiny, "\"devices\": 1, ", "")),
            "problem: missing field \"devices\"");
  EXPECT_EQ(read_error(replaced(kTiny, ",\n \"programs\": [", ", \"x\": [")), "x: unknown field");
}

TEST(ScheduleJson, NamesTheMistypedFieldByItsPath) {
  EXPECT_EQ(read_error(replaced(kTiny, "\"stage\": 0", "\"stage\": \"0\"")),
            "programs[0][0].stage: expected an unsigned integer, got a string");
  EXPECT_EQ(read_error(replaced(kTiny, "\"microbatch\": 0", "\"microbatch\": -1")),
            "programs[0][0].microbatch: expected an unsigned integer, got a negative integer");
  EXPECT_EQ(read_error(replaced(kTiny, "\"iteration\": 0", "\"iteration\": 0.5")),
            "programs[0][0].iteration: expected an unsigned integer, got a non-integer number");
  EXPECT_EQ(read_error(replaced(kTiny, "\"devices\": 1", "\"devices\": [1]")),
            "problem.devices: expected an unsigned integer, got an array");
  EXPECT_EQ(read_error(replaced(kTiny, "\"name\": \"tiny\"", "\"name\": null")),
            "name: expected a string, got null");
  EXPECT_EQ(read_error(replaced(kTiny, "\"stage\": 0", "\"stage\": 65536")),
            "programs[0][0].stage: 65536 is more than 65535");
  EXPECT_EQ(read_error(replaced(kTiny, "\"kind\": \"forward\"", "\"kind\": \"fwd\"")),
            "programs[0][0].kind: unknown op kind \"fwd\"");
  EXPECT_EQ(read_error(replaced(kTiny, "\"looped\"", "\"ring\"")),
            "problem.placement: unknown placement \"ring\" (expected looped, v-shape or bidirectional)");
}

TEST(ScheduleJson, NamesUnknownAndDuplicateFields) {
  EXPECT_EQ(read_error(replaced(kTiny, "\"stage\": 0", "\"stag\": 0")),
            "programs[0][0].stag: unknown field");
  EXPECT_EQ(read_error(replaced(kTiny, "\"chunks\": 1", "\"devices\": 1")),
            "problem.devices: duplicate field");
}

TEST(ScheduleJson, NamesABadlyShapedProgramOrOp) {
  EXPECT_EQ(read_error(replaced(kTiny, "\"programs\": [\n  [", "\"programs\": [{}, \n  [")),
            "programs[0]: expected an array of ops, got an object");
  EXPECT_EQ(read_error(replaced(kTiny, "\"programs\": [\n  [", "\"programs\": [\n  [7, ")),
            "programs[0][0]: expected an op object, got an unsigned integer");
  EXPECT_EQ(read_error(replaced(kTiny, "\"programs\": [\n", "\"programs\": 3, \"p\": [\n")),
            "programs: expected an array of programs, got an unsigned integer");
}

TEST(ScheduleJson, RejectsAProblemThatFailsItsCheckOrDoesNotMatchThePrograms) {
  EXPECT_EQ(read_error(replaced(kTiny, "\"microbatches\": 2", "\"microbatches\": 0")),
            "problem: micro-batches (m) must be at least 1");
  EXPECT_EQ(read_error(replaced(kTiny, "\"devices\": 1", "\"devices\": 2")),
            "programs: 1 program for p = 2 devices");
  EXPECT_EQ(read_error(replaced(kTiny, "\"microbatch\": 0", "\"microbatch\": 2")),
            "programs[0][0]: op outside the problem (micro-batch 2 but m = 2)");
  EXPECT_EQ(read_error(replaced(kTiny, "\"stage\": 0", "\"stage\": 1")),
            "programs[0][0]: op outside the problem (stage 1 but p*v = 1)");
}

TEST(ScheduleJson, WeightVersionsMustBeGivenForEveryOpOrForNone) {
  EXPECT_EQ(read_error(replaced(kTiny, "\"iteration\": 0, \"weight_version\": 0}\n  ]",
                                "\"iteration\": 0}\n  ]")),
            "programs[0][1]: missing field \"weight_version\" (give it for every op or for "
            "none)");
}

}  // namespace
}  // namespace pipewise
