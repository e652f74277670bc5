#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pipewise::exec::cuda {

// What the user asked for on the command line (--gpus, --emulate).
struct DeviceRequest {
  std::vector<int> gpus;      // --gpus 0,1,2,3; empty when not given
  std::uint32_t emulate = 0;  // --emulate P; 0 when not given
};

// How many CUDA devices a process sees, or a one-line reason why it sees none (no driver,
// no device), as the CUDA runtime says (cuda_device_count).
struct DeviceCount {
  int count = 0;
  std::string_view reason;  // empty when count > 0; text the CUDA runtime keeps
};

// How the pipeline devices of a run map onto GPUs.
enum class DeviceMode : std::uint8_t {
  OnePerGpu,  // pipeline device d runs on its own GPU
  Emulated,   // every pipeline device runs on one GPU, each in its own SM partition
};
std::string_view device_mode_name(DeviceMode mode);  // "one-per-gpu" or "emulated"

struct DevicePlan {
  DeviceMode mode = DeviceMode::OnePerGpu;
  // CUDA ordinal of each pipeline device; -1 for a device another process runs (one rank
  // of a multi-process run plans only its own device).
  std::vector<int> gpu_of_device;
  std::uint32_t devices() const { return static_cast<std::uint32_t>(gpu_of_device.size()); }
};

// Parses "0,1,2,3" into GPU ordinals. Throws pipewise::Error naming the bad entry: empty
// list or entry, something that is not a non-negative integer, a repeated GPU.
std::vector<int> parse_gpu_list(std::string_view text);

// Chooses the GPUs for a schedule with `pipeline_devices` devices when the process sees
// `available_gpus` GPUs:
//   --gpus with one GPU per pipeline device: one device per GPU, in the order given;
//   --gpus with a single GPU, or --emulate P (P must equal the device count), or neither
//   when fewer GPUs than devices are visible: every device emulated on one GPU (the one
//   given, else GPU 0);
//   neither, with enough GPUs: devices 0..p-1 on GPUs 0..p-1.
// A single pipeline device always gets a whole GPU (mode OnePerGpu). Throws
// pipewise::Error with one line naming the conflict: no GPU visible, a GPU ordinal that is
// not visible, --gpus naming a count that is neither 1 nor the device count, --emulate with
// another count than the schedule's devices, --emulate with several --gpus.
DevicePlan select_devices(const DeviceRequest& request, std::uint32_t pipeline_devices,
                          int available_gpus);

}  // namespace pipewise::exec::cuda
