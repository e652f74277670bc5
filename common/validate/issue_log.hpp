#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/validate/validate.hpp"

namespace pipewise {

// Collects validation issues, keeping the first kIssuesShownPerRule of each rule and only
// counting the rest, so that a schedule broken everywhere gives a readable report in time
// proportional to its size rather than to the number of messages.
class IssueLog {
 public:
  static constexpr std::uint64_t kIssuesShownPerRule = 20;

  // Records one issue of `rule`; `make_message()` is only called when the issue is shown.
  template <class MakeMessage>
  void report(std::string_view rule, MakeMessage&& make_message) {
    RuleCount& count = count_of(rule);
    if (count.shown < kIssuesShownPerRule) {
      ++count.shown;
      issues_.push_back({std::string(rule), std::forward<MakeMessage>(make_message)()});
    } else {
      ++count.hidden;
    }
  }

  // Counts `how_many` issues of `rule` that will not be shown individually.
  void report_unshown(std::string_view rule, std::uint64_t how_many);

  // True once `rule` has shown all the issues it may show.
  bool full(std::string_view rule);

  bool empty() const { return issues_.empty(); }

  // The shown issues in the order reported, then, for each rule with more issues than
  // shown, one issue of that rule saying how many more there are.
  std::vector<ValidationIssue> take_issues();

 private:
  struct RuleCount {
    std::string rule;
    std::uint64_t shown = 0;
    std::uint64_t hidden = 0;
  };
  RuleCount& count_of(std::string_view rule);

  std::vector<ValidationIssue> issues_;
  std::vector<RuleCount> counts_;  // a handful of rules: a linear search is fastest
};

}  // namespace pipewise
