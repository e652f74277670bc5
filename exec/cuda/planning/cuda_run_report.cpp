#include "exec/cuda/planning/cuda_run_report.hpp"

#include "common/text/format.hpp"

namespace pipewise::exec::cuda {
namespace {

std::string bytes(std::size_t count) { return format_bytes(static_cast<double>(count)); }

std::string summary(const CudaRunReport& report) {
  std::string text = "CUDA run: " + std::string(device_mode_name(report.mode)) + ", " +
                     std::to_string(report.devices.size()) + " device" +
                     (report.devices.size() == 1 ? "" : "s");
  if (report.mode == DeviceMode::Emulated && report.fallback_reason.empty() &&
      !report.devices.empty()) {
    text += " in green contexts of " + std::to_string(report.devices.front().sms) + " SMs (" +
            std::to_string(report.unused_sms) + " SMs unused)";
  } else if (report.mode == DeviceMode::Emulated) {
    text += " on shared streams (no SM partitions)";
  }
  text += "; math " + std::string(math_mode_name(report.math)) + "; transport " +
          std::string(transport_choice_name(report.transport)) + ": " +
          std::to_string(report.copy_messages) + " copies, " +
          std::to_string(report.nccl_messages) + " NCCL, " +
          std::to_string(report.loopback_messages) + " NCCL loopback";
  if (!report.nccl_version.empty()) text += " (NCCL " + report.nccl_version + ")";
  return text;
}

std::string device_line(std::size_t index, const CudaDeviceReport& device) {
  std::string text = "device " + std::to_string(index) + ": GPU " + std::to_string(device.gpu) +
                     ", " + std::string(isolation_name(device.isolation)) + ", " +
                     std::to_string(device.sms) + " SMs, arena " +
                     bytes(device.arena_reserved_bytes) + " reserved, " +
                     bytes(device.arena_peak_bytes) + " peak";
  if (device.arena_grown_segments > 0) {
    text += ", grew by " + std::to_string(device.arena_grown_segments) + " segment" +
            (device.arena_grown_segments == 1 ? "" : "s") + " during the run";
  }
  return text;
}

}  // namespace

RunDescription describe_cuda_run(const CudaRunReport& report) {
  RunDescription description;
  description.dedicated = report.fallback_reason.empty();
  description.placement.push_back(summary(report));
  for (std::size_t d = 0; d < report.devices.size(); ++d) {
    description.placement.push_back(device_line(d, report.devices[d]));
  }
  for (const CudaGpuMemoryCheck& gpu : report.gpus) {
    description.placement.push_back("GPU " + std::to_string(gpu.gpu) +
                                    " memory check: arenas reserved " +
                                    bytes(gpu.arena_reserved_bytes) + ", cudaMemGetInfo dropped " +
                                    bytes(gpu.observed_drop_bytes));
  }
  if (!report.fallback_reason.empty()) {
    description.warnings.push_back("emulated devices share every SM: " + report.fallback_reason);
  }
  if (!report.nccl_refusal.empty()) {
    description.warnings.push_back("messages between GPUs are peer copies, not NCCL: " +
                                   report.nccl_refusal);
  }
  return description;
}

}  // namespace pipewise::exec::cuda
