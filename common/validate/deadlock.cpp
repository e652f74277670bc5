// Deadlock detection on the waits-for graph of a schedule.
//
// Node u waits for node w when w must finish before u can start: the previous op of u's
// device (programs run in order), and the ops whose data u consumes (dependencies.hpp).
// A compute op waits for its same-stage producer (F for B/I, I for W), for its recv when
// it has one, and for its cross-stage producer (F of the stage before; the B or I of the
// stage after) directly unless a matched send and recv carry that dependency. A send
// waits for the op whose output it sends; a recv waits for its send. Sends are buffered,
// so nothing waits for a send to be received. The schedule can run to the end exactly
// when this graph is acyclic; a cycle is a set of ops that each wait for the next: a
// deadlock.
//
// The graph is a boost::compressed_sparse_row_graph (4 bytes per edge, 8 per node), built
// from an edge list generated in increasing source order and dropped once the graph holds
// it. Boost's depth-first search (depth_first_visit, non-recursive) finds a cycle as a
// back edge u -> v: v is a DFS-tree ancestor of u. The DFS-tree path from v to u can be
// long and wander, so the cycle reported is the shortest one through v, found by
// boost::breadth_first_search from v: the first edge into v that the BFS examines comes
// from a node nearest to v.
#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/two_bit_color_map.hpp>

#include "common/ir/dependencies.hpp"
#include "common/validate/checks.hpp"
#include "common/validate/placement.hpp"

namespace pipewise {
namespace {

using WaitsForGraph =
    boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                       boost::no_property, std::uint32_t, std::uint64_t>;
using Edge = boost::graph_traits<WaitsForGraph>::edge_descriptor;

// The nodes one op waits for: its predecessor in program order, its same-stage producer,
// its recv and cross-stage producer, and for the F of an overlapped pair the same of its
// partner; each producer that is such an F brings its partner along.
struct Waits {
  std::array<std::uint32_t, 12> nodes;
  std::uint32_t count = 0;
  void add(std::uint32_t node) {
    if (node != kNoNode) nodes[count++] = node;
  }
};

// The partner of `node` when it is the F of a well-formed overlapped pair (op.hpp): the op
// right after it, which ends when it ends; kNoNode otherwise.
std::uint32_t overlap_partner(const OpTable& table, std::uint32_t node) {
  if (node == kNoNode || !overlaps_next(table.op(node))) return kNoNode;
  const Place place = table.place(node);
  const auto& program = table.schedule().programs[place.device];
  return overlap_rule(program, place.position) == nullptr ? node + 1 : kNoNode;
}

// Adds the producer `node` and, when it is the F of an overlapped pair, its partner: the
// F's output exists only once the pair has ended.
void add_producer(const OpTable& table, std::uint32_t node, Waits& waits) {
  waits.add(node);
  waits.add(overlap_partner(table, node));
}

// The data `op` (a compute op of the problem) consumes: its same-stage producer, its recv
// and its cross-stage producer.
void add_inputs(const OpTable& table, const Op& op, Waits& waits) {
  if (const auto producer = same_stage_producer(op)) {
    add_producer(table, table.find(producer->kind, op), waits);
  }
  if (const auto producer = cross_stage_producer(op, table.problem())) {
    const bool forward = op.kind == OpKind::Forward;
    const std::uint32_t recv = table.find(forward ? OpKind::RecvActivation : OpKind::RecvGrad, op);
    const std::uint32_t send =
        table.find(forward ? OpKind::SendActivation : OpKind::SendGrad, *producer);
    waits.add(recv);
    if (recv == kNoNode || send == kNoNode) {
      add_producer(table,
                   forward ? table.find(OpKind::Forward, *producer)
                           : table.find_input_grad_producer(producer->stage, producer->iteration,
                                                            producer->microbatch),
                   waits);
    }
  }
}

// With bidirectional placement, the optimizer step of a stage applies both copies'
// gradients: it waits for the mirror stage's last weight gradient (B or W) of its
// iteration, the one latest in its device's program (the others come before it there).
std::uint32_t mirror_gradient(const OpTable& table, const Op& step) {
  const Problem& problem = table.problem();
  const std::uint32_t mirror = problem.mirror_stage(step.stage);
  std::uint32_t latest = kNoNode;
  for (std::uint32_t j = 0; j < problem.microbatches; ++j) {
    if (!problem.runs_microbatch(mirror, j)) continue;
    std::uint32_t gradient = table.find(OpKind::BackwardWeight, mirror, step.iteration, j);
    if (gradient == kNoNode) gradient = table.find(OpKind::Backward, mirror, step.iteration, j);
    if (gradient != kNoNode && (latest == kNoNode || gradient > latest)) latest = gradient;
  }
  return latest;
}

// What `node`, the op `op` at `position` of its device, waits for.
Waits waits_of(const OpTable& table, std::uint32_t node, const Op& op, std::size_t position) {
  Waits waits;
  if (position > 0) waits.add(node - 1);
  if (!table.in_problem(op)) return waits;
  if (is_compute(op.kind)) {
    add_inputs(table, op, waits);
    // The pair starts when both its ops have their inputs.
    if (const std::uint32_t partner = overlap_partner(table, node); partner != kNoNode) {
      Waits partner_inputs;
      add_inputs(table, table.op(partner), partner_inputs);
      for (std::uint32_t k = 0; k < partner_inputs.count; ++k) {
        if (partner_inputs.nodes[k] != node) waits.add(partner_inputs.nodes[k]);
      }
    }
  } else if (op.kind == OpKind::SendActivation) {
    add_producer(table, table.find(OpKind::Forward, op), waits);
  } else if (op.kind == OpKind::SendGrad) {
    waits.add(table.find_input_grad_producer(op.stage, op.iteration, op.microbatch));
  } else if (is_recv(op.kind) && has_peer_stage(op, table.problem())) {
    const Op send = counterpart(op);
    waits.add(table.find(send.kind, send));
  } else if (op.kind == OpKind::OptimizerStep && table.problem().bidirectional()) {
    waits.add(mirror_gradient(table, op));
  }
  return waits;
}

// The waits-for edges (u, w) in increasing order of u, as the sorted-edges constructor of
// compressed_sparse_row_graph takes them.
std::vector<std::pair<std::uint32_t, std::uint32_t>> waits_for_edges(const OpTable& table) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  edges.reserve(std::size_t{table.node_count()} * 5 / 2);  // about right for F/B schedules
  const auto& programs = table.schedule().programs;
  for (std::uint32_t device = 0; device < programs.size(); ++device) {
    for (std::size_t position = 0; position < programs[device].size(); ++position) {
      const auto node = static_cast<std::uint32_t>(table.first_node(device) + position);
      const Waits waits = waits_of(table, node, programs[device][position], position);
      for (std::uint32_t k = 0; k < waits.count; ++k) edges.emplace_back(node, waits.nodes[k]);
    }
  }
  return edges;
}

WaitsForGraph build_waits_for_graph(const OpTable& table) {
  const auto edges = waits_for_edges(table);
  return WaitsForGraph(boost::edges_are_sorted, edges.begin(), edges.end(), table.node_count(),
                       edges.size());
}

// Records the first back edge the DFS meets.
class BackEdgeRecorder : public boost::default_dfs_visitor {
 public:
  explicit BackEdgeRecorder(std::optional<Edge>& back_edge) : back_edge_(&back_edge) {}
  void back_edge(Edge edge, const WaitsForGraph&) const {
    if (!*back_edge_) *back_edge_ = edge;
  }

 private:
  std::optional<Edge>* back_edge_;
};

// Records the BFS tree and the first examined edge into `target`.
class PathToTargetRecorder : public boost::default_bfs_visitor {
 public:
  PathToTargetRecorder(std::uint32_t target, std::vector<std::uint32_t>& parent,
                       std::uint32_t& last_before_target)
      : target_(target), parent_(&parent), last_before_target_(&last_before_target) {}
  void tree_edge(Edge edge, const WaitsForGraph& graph) const {
    (*parent_)[boost::target(edge, graph)] = boost::source(edge, graph);
  }
  void examine_edge(Edge edge, const WaitsForGraph& graph) const {
    if (*last_before_target_ == kNoNode && boost::target(edge, graph) == target_) {
      *last_before_target_ = boost::source(edge, graph);
    }
  }

 private:
  std::uint32_t target_;
  std::vector<std::uint32_t>* parent_;
  std::uint32_t* last_before_target_;
};

// Nodes of the shortest waits-for cycle through `start`, in happens-before order (each op
// runs before the next), beginning at the lowest node and ending where it began.
// REQUIRES: `start` lies on a cycle.
std::vector<std::uint32_t> shortest_cycle_through(const WaitsForGraph& graph, std::uint32_t start) {
  const std::size_t node_count = boost::num_vertices(graph);
  std::vector<std::uint32_t> parent(node_count, kNoNode);
  std::uint32_t last = kNoNode;  // waits for `start`, closing the cycle
  boost::two_bit_color_map<> colors(node_count);
  boost::breadth_first_search(
      graph, start, boost::visitor(PathToTargetRecorder(start, parent, last)).color_map(colors));
  // Waits-for runs start -> ... -> last -> start; happens-before is the reverse.
  std::vector<std::uint32_t> cycle{start};
  for (std::uint32_t node = last; node != start; node = parent[node]) cycle.push_back(node);
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  cycle.push_back(cycle.front());
  return cycle;
}

// "d0:0B0 -> d0:0F1 -> d1:1F1 -> d1:1B0 -> d0:0B0". In a cycle of more than 16 ops, a
// stretch of two or more ops reached and left by program order alone (each the next op of
// its device) is shown as "(k more ops on dX)": the ops where a data dependency enters or
// leaves a device stay visible.
std::string cycle_text(const OpTable& table, const std::vector<std::uint32_t>& cycle) {
  constexpr std::size_t kCycleShownInFull = 16;
  const std::size_t last = cycle.size() - 1;            // cycle[last] == cycle[0]
  const auto program_order_step = [&](std::size_t i) {  // edge cycle[i] -> cycle[i + 1]
    const Place from = table.place(cycle[i]);
    const Place to = table.place(cycle[i + 1]);
    return from.device == to.device && to.position == from.position + 1;
  };
  const auto hidden = [&](std::size_t i) {
    return last > kCycleShownInFull && i > 0 && i < last && program_order_step(i - 1) &&
           program_order_step(i);
  };
  std::string text;
  const auto append = [&text](const std::string& part) {
    text += (text.empty() ? "" : " -> ") + part;
  };
  for (std::size_t i = 0; i <= last;) {
    std::size_t run_end = i;
    while (run_end <= last && hidden(run_end)) ++run_end;
    if (run_end - i >= 2) {
      append("(" + std::to_string(run_end - i) + " more ops on d" +
             std::to_string(table.place(cycle[i]).device) + ")");
      i = run_end;
    } else {
      append(table.describe(cycle[i]));
      ++i;
    }
  }
  return text;
}

}  // namespace

void check_deadlock(const OpTable& table, IssueLog& log) {
  if (table.node_count() == 0) return;
  const WaitsForGraph graph = build_waits_for_graph(table);
  std::optional<Edge> back_edge;
  boost::two_bit_color_map<> colors(table.node_count());  // all white
  // Each DFS root reaches every earlier op of its device through program order, so the
  // roots need only be every kRootStride-th op of each device and its last op. Taking them
  // round-robin over the devices in position order approximates time order: most ops an
  // op waits for are already finished when the DFS reaches it, which keeps the DFS stack
  // about kRootStride * p entries deep, and each DFS call (which allocates its own stack)
  // covers about kRootStride ops. Any root order finds a cycle if there is one.
  constexpr std::size_t kRootStride = 64;
  const auto& programs = table.schedule().programs;
  std::vector<std::uint32_t> active;  // devices with ops at or after the current position
  for (std::uint32_t device = 0; device < programs.size(); ++device) {
    if (!programs[device].empty()) active.push_back(device);
  }
  for (std::size_t position = kRootStride - 1; !active.empty() && !back_edge;
       position += kRootStride) {
    for (const std::uint32_t device : active) {
      const std::size_t root_position = std::min(position, programs[device].size() - 1);
      const auto root = static_cast<std::uint32_t>(table.first_node(device) + root_position);
      if (boost::get(colors, root) == boost::two_bit_white) {
        boost::depth_first_visit(graph, root, BackEdgeRecorder(back_edge), colors);
      }
    }
    std::erase_if(active,
                  [&](std::uint32_t device) { return programs[device].size() <= position + 1; });
  }
  if (!back_edge) return;
  const std::vector<std::uint32_t> cycle =
      shortest_cycle_through(graph, boost::target(*back_edge, graph));
  log.report("deadlock", [&] { return cycle_text(table, cycle); });
}

}  // namespace pipewise
