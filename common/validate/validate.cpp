#include "common/validate/validate.hpp"

#include "common/ir/weight_versions.hpp"
#include "common/validate/checks.hpp"
#include "common/validate/issue_log.hpp"
#include "common/validate/op_table.hpp"
#include "common/validate/placement.hpp"

namespace pipewise {

ValidationReport validate_schedule(const Schedule& schedule) {
  IssueLog log;
  if (const auto issue = problem_issue(schedule.problem)) {
    log.report(issue->rule, [&] { return issue->message; });
    return {log.take_issues(), {}};
  }
  if (const auto issue = program_count_issue(schedule)) {
    log.report(issue->rule, [&] { return issue->message; });
  }
  if (schedule.op_count() >= kNoNode) {
    log.report("out-of-range", [&] {
      return std::to_string(schedule.op_count()) + " ops is more than the " +
             std::to_string(kNoNode - 1) + " the validator can number";
    });
    return {log.take_issues(), {}};
  }
  const OpTable table(schedule, log);
  check_coverage(table, log);
  check_communication(table, log);
  check_deadlock(table, log);
  check_weight_versions(table, log);
  check_step_order(table, log);
  ValidationReport report{log.take_issues(), {}};
  if (report.ok()) report.weight_versions_held = weight_versions_held(schedule);
  return report;
}

std::string format_issue(const ValidationIssue& issue) { return issue.rule + ": " + issue.message; }

}  // namespace pipewise
