#include "common/timeline/chrome_trace.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "common/timeline/op_style.hpp"

namespace pipewise {
namespace {

using nlohmann::json;

constexpr double kMicrosecondsPerMs = 1000.0;
constexpr std::uint32_t kFirstLinkTrack = 1u << 20;

// Identifies a compute op independently of B versus I: both produce the input gradient.
using OpKey = std::tuple<int, std::uint32_t, std::uint32_t, std::uint32_t>;
OpKey key_of(OpKind kind, std::uint32_t stage, const Op& op) {
  const int family = kind == OpKind::Forward ? 0 : produces_input_grad(kind) ? 1 : 2 + static_cast<int>(kind);
  return {family, stage, op.iteration, op.microbatch};
}

json metadata(const char* what, int pid, std::uint32_t tid, const json& args) {
  return {{"ph", "M"}, {"name", what}, {"pid", pid}, {"tid", tid}, {"args", args}};
}

std::string op_name(const Op& op, std::uint32_t microbatches) {
  std::string name(op_style(op.kind).letter);
  if (op.kind != OpKind::OptimizerStep) name += std::to_string(global_microbatch(op, microbatches));
  return name + " s" + std::to_string(op.stage);
}

void add_timeline(const Timeline& timeline, int pid, std::uint64_t& next_flow, json& events) {
  const Problem& problem = timeline.problem;
  events.push_back(metadata("process_name", pid, 0, {{"name", timeline.name}}));
  events.push_back(metadata("process_sort_index", pid, 0, {{"sort_index", pid}}));
  for (std::uint32_t d = 0; d < problem.devices; ++d) {
    events.push_back(metadata("thread_name", pid, d, {{"name", "device " + std::to_string(d)}}));
    events.push_back(metadata("thread_sort_index", pid, d, {{"sort_index", d}}));
  }
  std::map<OpKey, const OpSpan*> spans;
  for (const OpSpan& span : timeline.ops) {
    const OpStyle& style = op_style(span.op.kind);
    events.push_back({{"ph", "X"},
                      {"name", op_name(span.op, problem.microbatches)},
                      {"cat", op_kind_json_name(span.op.kind)},
                      {"cname", style.trace_colour},
                      {"pid", pid},
                      {"tid", span.device},
                      {"ts", span.start_ms * kMicrosecondsPerMs},
                      {"dur", (span.end_ms - span.start_ms) * kMicrosecondsPerMs},
                      {"args",
                       {{"stage", span.op.stage},
                        {"chunk", span.op.stage / std::max(problem.devices, 1u)},
                        {"microbatch", span.op.microbatch},
                        {"iteration", span.op.iteration}}}});
    spans[key_of(span.op.kind, span.op.stage, span.op)] = &span;
  }
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> link_tracks;
  for (const MessageSpan& message : timeline.messages) {
    const auto link = std::make_pair(message.from_device, message.to_device);
    auto found = link_tracks.find(link);
    if (found == link_tracks.end()) {
      const auto track = kFirstLinkTrack + static_cast<std::uint32_t>(link_tracks.size());
      found = link_tracks.emplace(link, track).first;
      events.push_back(metadata("thread_name", pid, track,
                                {{"name", "link " + std::to_string(link.first) + "->" +
                                              std::to_string(link.second)}}));
      events.push_back(metadata("thread_sort_index", pid, track, {{"sort_index", track}}));
    }
    const bool activation = message.producer.kind == OpKind::Forward;
    const char* what = activation ? "activation" : "gradient";
    const double start_us = message.start_ms * kMicrosecondsPerMs;
    const double end_us = message.end_ms * kMicrosecondsPerMs;
    events.push_back({{"ph", "X"},
                      {"name", std::string(what) + " " + op_name(message.producer, problem.microbatches)},
                      {"cat", "message"},
                      {"cname", op_style(OpKind::SendActivation).trace_colour},
                      {"pid", pid},
                      {"tid", found->second},
                      {"ts", start_us},
                      {"dur", end_us - start_us}});
    // The arrow leaves the producer op just before its end and lands just inside the
    // consumer op ("bp":"e": bind to the enclosing slice).
    const Op& producer = message.producer;
    const auto producer_span = spans.find(key_of(producer.kind, producer.stage, producer));
    if (producer_span == spans.end()) continue;
    const OpSpan& from = *producer_span->second;
    const std::uint32_t consumer_stage = activation ? producer.stage + 1u : producer.stage - 1u;
    const auto consumer_span = spans.find(
        key_of(activation ? OpKind::Forward : OpKind::Backward, consumer_stage, producer));
    const std::uint64_t id = next_flow++;
    const double from_us = from.end_ms * kMicrosecondsPerMs;
    const double from_dur = (from.end_ms - from.start_ms) * kMicrosecondsPerMs;
    events.push_back({{"ph", "s"}, {"name", what}, {"cat", "flow"}, {"id", id}, {"pid", pid},
                      {"tid", from.device}, {"ts", from_us - std::min(from_dur / 2, 0.001)}});
    if (consumer_span != spans.end()) {
      const OpSpan& to = *consumer_span->second;
      const double to_dur = (to.end_ms - to.start_ms) * kMicrosecondsPerMs;
      events.push_back({{"ph", "f"}, {"bp", "e"}, {"name", what}, {"cat", "flow"}, {"id", id},
                        {"pid", pid}, {"tid", to.device},
                        {"ts", to.start_ms * kMicrosecondsPerMs + std::min(to_dur / 2, 0.001)}});
    } else {
      events.push_back({{"ph", "f"}, {"bp", "e"}, {"name", what}, {"cat", "flow"}, {"id", id},
                        {"pid", pid}, {"tid", found->second},
                        {"ts", start_us + std::min((end_us - start_us) / 2, 0.001)}});
    }
  }
  for (std::uint32_t d = 0; d < timeline.memory.size(); ++d) {
    const std::string memory_name = "device " + std::to_string(d) + " memory";
    const std::string live_name = "device " + std::to_string(d) + " live activations";
    for (const MemorySample& sample : timeline.memory[d]) {
      const double ts = sample.time_ms * kMicrosecondsPerMs;
      events.push_back({{"ph", "C"}, {"name", memory_name}, {"pid", pid}, {"ts", ts},
                        {"args", {{"MiB", static_cast<double>(sample.bytes) / (1 << 20)}}}});
      events.push_back({{"ph", "C"}, {"name", live_name}, {"pid", pid}, {"ts", ts},
                        {"args", {{"micro-batches", sample.live_activations}}}});
    }
  }
}

}  // namespace

std::string chrome_trace_json(const std::vector<Timeline>& timelines) {
  json events = json::array();
  std::uint64_t next_flow = 1;
  for (std::size_t i = 0; i < timelines.size(); ++i) {
    add_timeline(timelines[i], static_cast<int>(i + 1), next_flow, events);
  }
  json root = {{"displayTimeUnit", "ms"},
               {"otherData", {{"generator", "pipewise"}, {"time_unit", "us"}}},
               {"traceEvents", std::move(events)}};
  return root.dump() + "\n";
}

}  // namespace pipewise
