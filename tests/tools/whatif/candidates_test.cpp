// The configurations recommend searches (tools/whatif/candidates.hpp).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tools/model/model_presets.hpp"
#include "tools/whatif/candidates.hpp"

namespace pipewise::tools {
namespace {

// With one stage there is nothing to schedule: the default search tries 1F1B alone there
// (Megatron-LM's order without a pipeline; naive's program is the same), without
// interleaving, which Megatron-LM refuses with one stage; named schedules are all tried.
TEST(RecommendSearchSpace, WithoutAPipelineTheDefaultSearchTriesOnlyOneF1B) {
  ModelDescription model = find_model_preset("llama3-8b")->model;
  RecommendOptions options;
  options.stages = {1, 2};
  const SearchSpace space = enumerate_candidates(model, model.layer_count(), options);
  std::set<std::string> at_one;
  std::set<std::string> at_two;
  for (const Candidate& candidate : space.candidates) {
    if (!candidate.validity.ok()) continue;
    if (candidate.shape.devices == 1) {
      at_one.insert(candidate.schedule);
      EXPECT_EQ(candidate.shape.chunks, 1u);
    } else {
      at_two.insert(candidate.schedule);
    }
  }
  EXPECT_EQ(at_one, (std::set<std::string>{"1f1b"}));
  EXPECT_EQ(at_two, (std::set<std::string>{"naive", "gpipe", "1f1b", "interleaved", "looped-bfs"}));

  options.schedules = {"naive", "gpipe", "interleaved"};
  options.stages = {1};
  at_one.clear();
  for (const Candidate& candidate : enumerate_candidates(model, model.layer_count(), options).candidates) {
    at_one.insert(candidate.schedule);
  }
  // Interleaving has no default chunk count with one stage.
  EXPECT_EQ(at_one, (std::set<std::string>{"naive", "gpipe"}));
}

}  // namespace
}  // namespace pipewise::tools
