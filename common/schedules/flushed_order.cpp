#include "common/schedules/flushed_order.hpp"

#include <algorithm>
#include <utility>

#include "common/schedules/program_builder.hpp"

namespace pipewise {
namespace {

// Where a device is in its program.
struct Cursor {
  std::uint32_t iteration = 0;
  std::uint64_t position = 0;  // within the iteration: 2·work compute ops, then v steps
};

class FlushedScheduleStream final : public ScheduleStream {
 public:
  FlushedScheduleStream(std::string name, const Problem& problem, FlushedOrder order)
      : name_(std::move(name)),
        problem_(problem),
        order_(std::move(order)),
        cursors_(problem.devices) {}

  const std::string& name() const override { return name_; }
  const Problem& problem() const override { return problem_; }

  std::uint64_t program_size(std::uint32_t) const override {
    return ops_per_iteration() * problem_.iterations;
  }

  std::uint64_t microbatches_in_flight() const override {
    // A device holds at most its warm-up plus one items; a stage's input can arrive one or
    // two items (the previous stage's longer warm-up) before its forward runs.
    const std::uint64_t warmup = *std::max_element(order_.warmup.begin(), order_.warmup.end());
    return std::min<std::uint64_t>(warmup + 3, problem_.microbatches);
  }

  std::size_t read(std::uint32_t device, Op* out, std::size_t capacity) override {
    Cursor& cursor = cursors_[device];
    const std::uint64_t compute_ops = 2 * order_.work;
    const std::uint64_t warmup = order_.warmup[device];
    std::size_t written = 0;
    while (written < capacity && cursor.iteration < problem_.iterations) {
      const std::uint32_t iteration = cursor.iteration;
      if (cursor.position < compute_ops) {
        const OrderItem item = one_f_one_b_item(order_.work, warmup, cursor.position);
        out[written++] = item_op(device, iteration, item);
      } else {
        const auto chunk = static_cast<std::uint32_t>(cursor.position - compute_ops);
        Op step = optimizer_step_op(chunk * problem_.devices + device,
                                    problem_.microbatches - 1, iteration);
        step.weight_version = iteration;
        out[written++] = step;
      }
      if (++cursor.position == ops_per_iteration()) {
        cursor.position = 0;
        ++cursor.iteration;
      }
    }
    return written;
  }

  void rewind() override { std::fill(cursors_.begin(), cursors_.end(), Cursor{}); }

 private:
  std::uint64_t ops_per_iteration() const { return 2 * order_.work + problem_.chunks; }

  Op item_op(std::uint32_t device, std::uint32_t iteration, OrderItem item) const {
    const OpKind kind = item.forward ? OpKind::Forward : OpKind::Backward;
    Op op;
    if (order_.table.empty()) {
      op = compute_op(kind, device, static_cast<std::uint32_t>(item.index), iteration);
    } else {
      const VirtualMicrobatch& entry = order_.table[item.index];
      const std::uint32_t chunk = item.forward ? entry.chunk : problem_.chunks - 1 - entry.chunk;
      op = compute_op(kind, chunk * problem_.devices + device, entry.microbatch, iteration);
    }
    op.weight_version = iteration;
    return op;
  }

  std::string name_;
  Problem problem_;
  FlushedOrder order_;
  std::vector<Cursor> cursors_;
};

}  // namespace

std::unique_ptr<ScheduleStream> flushed_stream(std::string name, const Problem& problem,
                                               FlushedOrder order) {
  return std::make_unique<FlushedScheduleStream>(std::move(name), problem, std::move(order));
}

}  // namespace pipewise
