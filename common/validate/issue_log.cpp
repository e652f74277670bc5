#include "common/validate/issue_log.hpp"

namespace pipewise {

void IssueLog::report_unshown(std::string_view rule, std::uint64_t how_many) {
  count_of(rule).hidden += how_many;
}

bool IssueLog::full(std::string_view rule) { return count_of(rule).shown >= kIssuesShownPerRule; }

std::vector<ValidationIssue> IssueLog::take_issues() {
  for (const RuleCount& count : counts_) {
    if (count.hidden > 0) {
      issues_.push_back({count.rule, "and " + std::to_string(count.hidden) + " more " + count.rule +
                                         " issues not shown"});
    }
  }
  counts_.clear();
  return std::move(issues_);
}

IssueLog::RuleCount& IssueLog::count_of(std::string_view rule) {
  for (RuleCount& count : counts_) {
    if (count.rule == rule) return count;
  }
  counts_.push_back({std::string(rule), 0, 0});
  return counts_.back();
}

}  // namespace pipewise
