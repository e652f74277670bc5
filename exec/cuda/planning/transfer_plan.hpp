#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ir/schedule.hpp"

namespace pipewise::exec::cuda {

// Which mechanism moves messages between pipeline devices (--transport).
enum class TransportChoice : std::uint8_t {
  Auto,  // copies between devices on one GPU, NCCL between GPUs
  Copy,  // always cudaMemcpyAsync: device-to-device on one GPU, peer copies between GPUs
  Nccl,  // always NCCL: peer send/recv between GPUs, a one-rank loopback on one GPU
};
std::string_view transport_choice_name(TransportChoice choice);  // "auto", "copy", "nccl"
// Inverse of transport_choice_name; throws pipewise::Error naming the unknown string.
TransportChoice transport_choice_from_name(std::string_view name);

// How one message travels.
enum class Route : std::uint8_t {
  Copy,          // the receiver waits on the sender's event and copies (D2D or peer)
  Nccl,          // ncclSend on the sender's stream, ncclRecv on the receiver's (two GPUs)
  NcclLoopback,  // one GPU: the receiver waits on the sender's event, then sends to itself
                 // and receives through its one-rank communicator, in one group
};
std::string_view route_name(Route route);  // "copy", "nccl", "nccl-loopback"

// The identity of a message, the same on both ends: the activation crossing from stage
// `boundary` to boundary+1, or the gradient crossing back from boundary+1 to boundary, of
// one micro-batch of one iteration.
struct MessageKey {
  bool gradient = false;
  std::uint32_t boundary = 0;
  std::uint32_t microbatch = 0;
  std::uint32_t iteration = 0;
  friend bool operator==(const MessageKey&, const MessageKey&) = default;
};
// The message a send or receive op carries. REQUIRES: is_communication(op.kind).
MessageKey message_key(const Op& op);

// One send or receive of a device's program, with how it travels. NCCL steps carry their
// place in NCCL groups: a run of consecutive NCCL sends and receives in a program (no
// other op between them) is one group, so that a send and the receive that must progress
// with it (Megatron's send_forward_recv_backward) are never waiting on each other.
struct CommStep {
  std::size_t position = 0;  // index in the device's program
  Op op;
  std::uint32_t peer_device = 0;
  Route route = Route::Copy;
  bool opens_group = false;   // NCCL routes only: ncclGroupStart before this call
  bool closes_group = false;  // NCCL routes only: ncclGroupEnd after it
};

// Every send and receive of a lowered schedule, per device in program order.
struct TransferPlan {
  std::vector<std::vector<CommStep>> steps;  // steps[d], sorted by position
  // TransportChoice::Auto only: why the messages between GPUs are peer copies instead of
  // NCCL calls (the schedule's NCCL groups cannot run); empty when they are not.
  std::string nccl_refusal;
  bool uses_nccl() const;
  bool uses_nccl_loopback() const;
};

// Plans how the messages of lowered `schedule` travel when pipeline device d runs on GPU
// gpu_of_device[d]: Route::Copy within a GPU and Route::Nccl across GPUs for Auto (peer
// copies across GPUs instead, with the reason in nccl_refusal, when NCCL cannot run the
// schedule: see below); Copy everywhere for Copy; for Nccl, Route::Nccl across GPUs and
// Route::NcclLoopback within one.
// Throws pipewise::Error with one line when a send has no matching receive on its peer
// device (or a receive no send, or a message is sent twice), when the peer device of a
// message is not the device of its peer stage, or when the NCCL steps cannot run: NCCL
// matches sends and receives between two ranks by order, so a pair of devices that sends
// messages in another order than the receiver receives them is refused, and so is a group
// sequence in which every rank waits on another (the message names the ops on the cycle).
TransferPlan plan_transfers(const Schedule& schedule, const std::vector<int>& gpu_of_device,
                            TransportChoice choice);

// plan_transfers without its NCCL checks: every message routed and paired with its peer,
// NCCL groups marked. Throws pipewise::Error for what plan_transfers throws before those.
TransferPlan route_transfers(const Schedule& schedule, const std::vector<int>& gpu_of_device,
                             TransportChoice choice);

// The NCCL steps of one ordered pair of devices, each side in program order: NCCL pairs
// the k-th send from `sender` to `receiver` with the k-th receive there from `sender`.
struct NcclPairMessages {
  std::vector<const CommStep*> sends;     // into plan.steps[sender]
  std::vector<const CommStep*> receives;  // into plan.steps[receiver]
  // The first k at which the k-th send and the k-th receive carry different messages.
  std::optional<std::size_t> first_out_of_order() const;
};
NcclPairMessages nccl_pair_messages(const TransferPlan& plan, std::uint32_t sender, std::uint32_t receiver);

// A rank that waits in its current NCCL group on a step its peer posts only in a later one.
struct NcclWait {
  std::uint32_t device = 0;
  std::size_t step = 0;       // index into steps[device]
  std::uint32_t peer = 0;
  std::size_t peer_step = 0;  // index into steps[peer]: the matching send or receive
};

// Where the NCCL groups of a plan stop (play_nccl_groups).
struct NcclStall {
  std::vector<NcclWait> waits;          // by device, then step; empty when every group completes
  std::vector<std::size_t> group_start;  // per device: the first step of the group it stopped
                                         // in, steps[device].size() when it finished
};

// Plays the NCCL groups of `plan` (each rank runs its groups in order on one stream; a
// group completes once the other end of each of its sends and receives is posted, the
// conservative reading of NCCL's point-to-point semantics, since a large message waits for
// its receiver) until no rank can move on, and says every wait left. REQUIRES: `plan`
// routed from `schedule` (route_transfers).
NcclStall play_nccl_groups(const Schedule& schedule, const TransferPlan& plan);

}  // namespace pipewise::exec::cuda
