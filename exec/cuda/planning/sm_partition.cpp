#include "exec/cuda/planning/sm_partition.hpp"

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {
namespace {

std::string describe(const SmLimits& limits) {
  return std::to_string(limits.total_sms) + " SMs, partitions of at least " +
         std::to_string(limits.min_partition) + " in multiples of " +
         std::to_string(limits.alignment);
}

}  // namespace

SmPartitionPlan plan_sm_partitions(const SmLimits& limits, std::uint32_t devices,
                                   std::uint32_t requested_sms) {
  if (devices == 0) throw Error("SM partitioning needs at least one device");
  if (limits.total_sms == 0 || limits.min_partition == 0 || limits.alignment == 0) {
    throw Error("SM partitioning got empty limits (" + describe(limits) + ")");
  }
  const std::uint32_t alignment = limits.alignment;
  const std::uint32_t minimum = (limits.min_partition + alignment - 1) / alignment * alignment;
  std::uint32_t size = requested_sms;
  if (size == 0) {
    size = limits.total_sms / devices / alignment * alignment;
  } else if (size % alignment != 0 || size < minimum) {
    throw Error("cannot give each device " + std::to_string(size) + " SMs: the GPU has " +
                describe(limits));
  }
  if (size < minimum || std::uint64_t{size} * devices > limits.total_sms) {
    throw Error("cannot split the GPU into " + std::to_string(devices) + " partitions" +
                (requested_sms > 0 ? " of " + std::to_string(requested_sms) + " SMs" : "") +
                ": it has " + describe(limits) + " (at most " +
                std::to_string(limits.total_sms / (requested_sms > 0 ? requested_sms : minimum)) +
                " fit)");
  }
  return {size, devices, limits.total_sms - size * devices};
}

}  // namespace pipewise::exec::cuda
