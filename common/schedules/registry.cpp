#include "common/schedules/registry.hpp"

#include <new>

#include "common/ir/error.hpp"
#include "common/resources/resource_limits.hpp"
#include "common/schedules/generators.hpp"

namespace pipewise {
namespace {

struct Entry {
  ScheduleInfo info;
  Schedule (*generate)(const Problem&);
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
      {{.name = "naive",
        .aliases = {},
        .summary = "micro-batches one at a time, no pipelining (m = 1: plain model parallelism)",
        .uses_chunks = false,
        .asynchronous = false},
       generate_naive},
      {{.name = "gpipe",
        .aliases = {},
        .summary = "GPipe: all forwards, all backwards, then a flush (Huang et al. 2019)",
        .uses_chunks = false,
        .asynchronous = false},
       generate_gpipe},
      {{.name = "1f1b",
        .aliases = {"pipedream-flush"},
        .summary = "1F1B with a flush: warm-up, F/B pairs, cool-down (Megatron-LM's default)",
        .uses_chunks = false,
        .asynchronous = false},
       generate_one_f_one_b},
      {{.name = "interleaved",
        .aliases = {},
        .summary = "Megatron-LM interleaved 1F1B over v looped chunks per device (SC'21)",
        .uses_chunks = true,
        .asynchronous = false},
       generate_interleaved},
      {{.name = "pipedream",
        .aliases = {},
        .summary = "PipeDream: 1F1B, no flush, a step per micro-batch, p-s weight versions",
        .uses_chunks = false,
        .asynchronous = true},
       generate_pipedream},
      {{.name = "pipedream-2bw",
        .aliases = {},
        .summary = "PipeDream-2BW: 1F1B, no flush, a step per m micro-batches, 2 versions",
        .uses_chunks = false,
        .asynchronous = true},
       generate_pipedream_2bw},
  };
  return kEntries;
}

const Entry& find_entry(std::string_view name) {
  for (const Entry& entry : entries()) {
    if (entry.info.name == name) return entry;
    for (const auto& alias : entry.info.aliases) {
      if (alias == name) return entry;
    }
  }
  std::string known;
  for (const Entry& entry : entries()) {
    known += (known.empty() ? "" : ", ") + entry.info.name;
    for (const auto& alias : entry.info.aliases) known += " (= " + alias + ")";
  }
  throw Error("unknown schedule \"" + std::string(name) + "\" (known: " + known + ")");
}

}  // namespace

const std::vector<ScheduleInfo>& schedule_catalog() {
  static const std::vector<ScheduleInfo> kCatalog = [] {
    std::vector<ScheduleInfo> catalog;
    for (const Entry& entry : entries()) catalog.push_back(entry.info);
    return catalog;
  }();
  return kCatalog;
}

const ScheduleInfo& find_schedule(std::string_view name) { return find_entry(name).info; }

Schedule generate_schedule(std::string_view name, const Problem& problem) {
  const Entry& entry = find_entry(name);
  require_memory_for_schedule(entry.info.name, problem, entry.info.asynchronous);
  try {
    return entry.generate(problem);
  } catch (const std::bad_alloc&) {
    throw Error(
        entry.info.name + " with " + problem_sizes(problem) + " needs more memory than is available");
  }
}

}  // namespace pipewise
