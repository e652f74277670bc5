#include "common/schedules/registry.hpp"

#include <new>

#include "common/ir/error.hpp"
#include "common/schedules/generators.hpp"

namespace pipewise {
namespace {

struct Entry {
  ScheduleInfo info;
  Schedule (*generate)(const Problem&);
  Status (*rules)(const Problem&) = nullptr;  // beyond Problem::validity and v = 1
  // The same schedule produced op by op (schedule_stream.hpp), where the generator has it.
  std::unique_ptr<ScheduleStream> (*stream)(const Problem&) = nullptr;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
      {{.name = "naive",
        .aliases = {},
        .summary = "micro-batches one at a time, no pipelining (m = 1: plain model parallelism)",
        .uses_chunks = false,
        .asynchronous = false},
       generate_naive, nullptr, stream_naive},
      {{.name = "gpipe",
        .aliases = {},
        .summary = "GPipe: all forwards, all backwards, then a flush (Huang et al. 2019)",
        .uses_chunks = false,
        .asynchronous = false},
       generate_gpipe, nullptr, stream_gpipe},
      {{.name = "1f1b",
        .aliases = {"pipedream-flush"},
        .summary = "1F1B with a flush: warm-up, F/B pairs, cool-down (Megatron-LM's default)",
        .uses_chunks = false,
        .asynchronous = false},
       generate_one_f_one_b, nullptr, stream_one_f_one_b},
      {{.name = "interleaved",
        .aliases = {},
        .summary = "Megatron-LM interleaved 1F1B over v looped chunks per device (SC'21)",
        .uses_chunks = true,
        .asynchronous = false},
       generate_interleaved, interleaved_rules, stream_interleaved},
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
       generate_pipedream_2bw,
       pipedream_2bw_rules},
      {{.name = "zb-h1",
        .aliases = {"zb1p"},
        .summary = "ZB-H1: 1F1B with split backward, W's delayed into the drain (Qi et al. 2024)",
        .splits_backward = true},
       generate_zb_h1},
      {{.name = "zb-h2",
        .aliases = {"zb2p"},
        .summary = "ZB-H2: longer warm-up, up to 2p-1 stashes, zero bubble when F = I = W",
        .splits_backward = true},
       generate_zb_h2},
      {{.name = "interleaved-zb",
        .aliases = {"interleavedzerobubble"},
        .summary = "PyTorch's ScheduleInterleavedZeroBubble: ZB1P over v looped chunks",
        .uses_chunks = true,
        .splits_backward = true},
       generate_interleaved_zb,
       interleaved_zb_rules},
      {{.name = "looped-bfs",
        .aliases = {"loopedbfs"},
        .summary = "breadth-first over v looped chunks (Lamy-Poirier 2023; PyTorch LoopedBFS)",
        .uses_chunks = true},
       generate_looped_bfs,
       looped_bfs_rules},
      {{.name = "zbv",
        .aliases = {"zb-v", "zbvzerobubble"},
        .summary = "ZB-V: zero bubble on a V-shape at 1F1B's memory (Qi et al. NeurIPS 2024)",
        .uses_chunks = true,
        .splits_backward = true,
        .placement = Placement::VShape,
        .fixed_chunks = 2},
       generate_zbv,
       zbv_rules},
      {{.name = "v-half",
        .aliases = {},
        .summary = "V-Half: a V-shape building block at half of 1F1B's activation memory",
        .uses_chunks = true,
        .splits_backward = true,
        .placement = Placement::VShape,
        .fixed_chunks = 2},
       generate_v_half,
       v_half_rules},
      {{.name = "v-min",
        .aliases = {},
        .summary = "V-Min: a V-shape building block at a third of 1F1B's activation memory",
        .uses_chunks = true,
        .splits_backward = true,
        .placement = Placement::VShape,
        .fixed_chunks = 2},
       generate_v_min,
       v_min_rules},
      {{.name = "dualpipe",
        .aliases = {},
        .summary = "DualPipe: two model copies fed from both ends, F&B overlapped (DeepSeek-V3)",
        .uses_chunks = true,
        .splits_backward = true,
        .placement = Placement::Bidirectional,
        .fixed_chunks = 2,
        .overlaps = true},
       generate_dualpipe,
       dualpipe_rules},
      {{.name = "dualpipe-v",
        .aliases = {"dualpipev"},
        .summary = "DualPipeV: DualPipe cut in half, on a V-shape (DeepSeek; PyTorch DualPipeV)",
        .uses_chunks = true,
        .splits_backward = true,
        .placement = Placement::VShape,
        .fixed_chunks = 2,
        .overlaps = true},
       generate_dualpipe_v,
       dualpipe_v_rules},
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

std::uint64_t max_op_count(const ScheduleInfo& info, const Problem& problem) {
  // Problem::check bounds p·v by 2^16 and m·n by 2^32, so every product stays under 2^50.
  const std::uint64_t stages = problem.stages();
  const std::uint64_t slots = stages * problem.iterations * problem.microbatches;
  const std::uint64_t steps = info.asynchronous ? slots : stages * problem.iterations;
  return (info.splits_backward ? 3 : 2) * slots + steps;
}

Status schedule_accepts(std::string_view name, const Problem& problem) {
  const Entry& entry = find_entry(name);
  if (Status validity = problem.validity(); !validity.ok()) return validity;
  if (!entry.info.uses_chunks && problem.chunks != 1) {
    return Status::failure(entry.info.name + " has no model chunks: v must be 1 (got " +
                           std::to_string(problem.chunks) + ")");
  }
  if (entry.info.fixed_chunks != 0 && problem.chunks != entry.info.fixed_chunks) {
    return Status::failure(entry.info.name + " runs " + std::to_string(entry.info.fixed_chunks) +
                           " chunks per device: v must be " +
                           std::to_string(entry.info.fixed_chunks) + " (got " +
                           std::to_string(problem.chunks) + ")");
  }
  return entry.rules != nullptr ? entry.rules(problem) : Status();
}

Schedule generate_schedule(std::string_view name, const Problem& problem) {
  const Entry& entry = find_entry(name);
  schedule_accepts(entry.info.name, problem).throw_if_failed();
  try {
    return entry.generate(problem);
  } catch (const std::bad_alloc&) {
    throw Error(
        entry.info.name + " with " + problem_sizes(problem) + " needs more memory than is available");
  }
}

bool can_stream(std::string_view name) { return find_entry(name).stream != nullptr; }

std::unique_ptr<ScheduleStream> stream_schedule(std::string_view name, const Problem& problem) {
  const Entry& entry = find_entry(name);
  if (entry.stream == nullptr) {
    throw Error(entry.info.name + " cannot be streamed: generate it whole (generate_schedule)");
  }
  schedule_accepts(entry.info.name, problem).throw_if_failed();
  return entry.stream(problem);
}

}  // namespace pipewise
