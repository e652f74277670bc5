#include "exec/cuda/planning/device_selection.hpp"

#include <algorithm>
#include <charconv>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {
namespace {

DevicePlan emulate_on(int gpu, std::uint32_t devices) {
  return {devices > 1 ? DeviceMode::Emulated : DeviceMode::OnePerGpu,
          std::vector<int>(devices, gpu)};
}

}  // namespace

std::string_view device_mode_name(DeviceMode mode) {
  return mode == DeviceMode::Emulated ? "emulated" : "one-per-gpu";
}

std::vector<int> parse_gpu_list(std::string_view text) {
  if (text.empty()) throw Error("--gpus needs a comma-separated list of GPU ordinals, got nothing");
  std::vector<int> gpus;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view entry = text.substr(begin, comma - begin);
    int gpu = -1;
    const auto [end, status] = std::from_chars(entry.data(), entry.data() + entry.size(), gpu);
    if (entry.empty() || status != std::errc() || end != entry.data() + entry.size() || gpu < 0) {
      throw Error("--gpus entry \"" + std::string(entry) + "\" in \"" + std::string(text) +
                  "\" is not a GPU ordinal (a non-negative integer)");
    }
    if (std::find(gpus.begin(), gpus.end(), gpu) != gpus.end()) {
      throw Error("--gpus names GPU " + std::to_string(gpu) + " twice in \"" + std::string(text) +
                  "\" (use --emulate to run several devices on one GPU)");
    }
    gpus.push_back(gpu);
    begin = comma + 1;
  }
  return gpus;
}

DevicePlan select_devices(const DeviceRequest& request, std::uint32_t pipeline_devices,
                          int available_gpus) {
  if (pipeline_devices == 0) throw Error("a run needs at least one pipeline device");
  if (available_gpus <= 0) throw Error("no CUDA device is visible to this process");
  for (int gpu : request.gpus) {
    if (gpu >= available_gpus) {
      throw Error("--gpus names GPU " + std::to_string(gpu) + " but only " +
                  std::to_string(available_gpus) + " are visible (0.." +
                  std::to_string(available_gpus - 1) + ")");
    }
  }
  const std::string devices_text = std::to_string(pipeline_devices) + " device" +
                                   (pipeline_devices == 1 ? "" : "s");
  if (request.emulate > 0) {
    if (request.emulate != pipeline_devices) {
      throw Error("--emulate " + std::to_string(request.emulate) + " but the schedule has " +
                  devices_text);
    }
    if (request.gpus.size() > 1) {
      throw Error("--emulate runs every device on one GPU, but --gpus names " +
                  std::to_string(request.gpus.size()));
    }
    return emulate_on(request.gpus.empty() ? 0 : request.gpus.front(), pipeline_devices);
  }
  if (request.gpus.size() == 1) return emulate_on(request.gpus.front(), pipeline_devices);
  if (!request.gpus.empty()) {
    if (request.gpus.size() != pipeline_devices) {
      throw Error("--gpus names " + std::to_string(request.gpus.size()) +
                  " GPUs but the schedule has " + devices_text +
                  " (name one GPU per device, or one GPU to emulate them all on it)");
    }
    return {DeviceMode::OnePerGpu, request.gpus};
  }
  if (static_cast<std::uint32_t>(available_gpus) >= pipeline_devices) {
    DevicePlan plan{DeviceMode::OnePerGpu, {}};
    for (std::uint32_t d = 0; d < pipeline_devices; ++d) plan.gpu_of_device.push_back(static_cast<int>(d));
    return plan;
  }
  return emulate_on(0, pipeline_devices);
}

}  // namespace pipewise::exec::cuda
