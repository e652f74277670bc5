#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/ir/error.hpp"

namespace pipewise::exec {

// The versions of one stage's weights a backend holds, oldest first, and the rules every
// backend follows for them (each error named the same way on every backend): ops read a
// held version, an optimizer step replaces the newest, and only older versions are
// released. Values is the backend's storage of one version (a host vector, a GPU buffer).
template <class Values>
class WeightVersions {
 public:
  // One held version: its number (0 when the run started, + 1 per optimizer step) and values.
  struct Held {
    std::uint32_t version = 0;
    Values values;
  };

  // Holds `values` as the only version, version 0 (the parameters a run starts from).
  void start_from(Values values) {
    held_.clear();
    held_.push_back({0, std::move(values)});
  }
  // Keeps only the newest version, which becomes version 0: training continues from it in
  // the next run. Returns the values of the others, for the backend to free.
  std::vector<Values> restart_from_newest() {
    std::vector<Values> dropped;
    while (held_.size() > 1) {
      dropped.push_back(std::move(held_.front().values));
      held_.erase(held_.begin());
    }
    held_.front().version = 0;
    return dropped;
  }

  // Room for `versions` versions, so that holding them allocates nothing during a run.
  void reserve(std::size_t versions) { held_.reserve(versions); }

  // The values of `version`. Throws pipewise::Error naming the versions held when it is not.
  // REQUIRES: a version is held.
  const Values& at(std::uint32_t version) const {
    for (const Held& held : held_) {
      if (held.version == version) return held.values;
    }
    throw Error("the stage does not hold weight version " + std::to_string(version) +
                " (it holds versions " + std::to_string(held_.front().version) + " to " +
                std::to_string(held_.back().version) + ")");
  }
  // The newest version. REQUIRES: a version is held.
  const Held& newest() const { return held_.back(); }
  Held& newest() { return held_.back(); }
  // How many versions are held.
  std::uint32_t count() const { return static_cast<std::uint32_t>(held_.size()); }

  // Throws pipewise::Error unless `version` is the newest, the only one a step may replace.
  void check_step_replaces(std::uint32_t version) const {
    if (version != held_.back().version) {
      throw Error("the step replaces weight version " + std::to_string(version) +
                  " but the stage's newest is version " + std::to_string(held_.back().version));
    }
  }
  // After a step that kept the previous version: `values` are the new newest version.
  void add_newer(Values values) { held_.push_back({held_.back().version + 1, std::move(values)}); }
  // After a step that updated the newest version in place: it is one version newer.
  void advance_newest() { ++held_.back().version; }

  // Removes older version `version` of stage `stage` and returns its values, for the backend
  // to free. Throws pipewise::Error when it is not held or is the newest.
  Values release_older(std::uint32_t version, std::uint32_t stage) {
    for (auto held = held_.begin(); held + 1 < held_.end(); ++held) {
      if (held->version != version) continue;
      Values values = std::move(held->values);
      held_.erase(held);
      return values;
    }
    throw Error("cannot release weight version " + std::to_string(version) + " of stage " +
                std::to_string(stage) + ": it is not an older version the stage holds");
  }

  // Gives up every version (the stage's weights moved elsewhere); returns their values.
  std::vector<Values> take_all() {
    std::vector<Values> values;
    for (Held& held : held_) values.push_back(std::move(held.values));
    held_.clear();
    return values;
  }

 private:
  std::vector<Held> held_;
};

// The factor that turns a stage's gradient sum over `accumulated` micro-batches into their
// average: 1 / accumulated, or 0 when none was accumulated (a step then applies a zero
// gradient).
inline float gradient_scale(std::uint32_t accumulated) {
  return accumulated == 0 ? 0.0f : 1.0f / static_cast<float>(accumulated);
}

}  // namespace pipewise::exec
