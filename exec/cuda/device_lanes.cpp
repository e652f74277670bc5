#include "exec/cuda/device_lanes.hpp"

#include "common/ir/error.hpp"
#include "exec/cuda/cuda_check.hpp"
#include "exec/cuda/driver_api.hpp"
#include "exec/cuda/planning/sm_partition.hpp"

namespace pipewise::exec::cuda {
namespace {

std::uint32_t sm_count(int gpu) {
  int count = 0;
  check_cuda(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, gpu),
             "reading the SM count of GPU " + std::to_string(gpu));
  return static_cast<std::uint32_t>(count);
}

}  // namespace

void make_current(const Lane& lane) {
  check_cuda(cudaSetDevice(lane.gpu), "selecting GPU " + std::to_string(lane.gpu));
  if (lane.context == nullptr) return;
  const DriverApi& api = *driver_api().api;  // a green lane exists only when it loaded
  api.check(api.ctx_set_current(lane.context), "entering the green context");
}

ScopedLane::ScopedLane(const Lane& lane) {
  check_cuda(cudaGetDevice(&previous_device_), "reading the current GPU");
  if (const DriverApi* api = driver_api().api) {
    api->check(api->ctx_get_current(&previous_context_), "reading the current context");
  }
  make_current(lane);
}

ScopedLane::~ScopedLane() {
  const DriverApi* api = driver_api().api;
  if (api != nullptr && previous_context_ != nullptr) {
    api->ctx_set_current(previous_context_);
  } else {
    cudaSetDevice(previous_device_);
  }
}

LaneSet::LaneSet(const DevicePlan& plan, bool use_green_contexts, std::uint32_t requested_sms) {
  try {
    if (plan.mode == DeviceMode::OnePerGpu) {
      make_plain_lanes(plan, Isolation::WholeGpu);
      return;
    }
    if (!use_green_contexts) {
      fallback_reason_ = "green contexts were turned off";
    } else if (driver_api().api == nullptr) {
      fallback_reason_ = "green contexts are unavailable: " + driver_api().reason;
    } else {
      try {
        make_green_lanes(plan.gpu_of_device.front(), plan.devices(), requested_sms);
        return;
      } catch (const Error& error) {
        if (requested_sms > 0) throw;
        destroy();
        fallback_reason_ = std::string("green contexts could not be made: ") + error.what();
      }
    }
    make_plain_lanes(plan, Isolation::SharedStreams);
  } catch (...) {
    destroy();
    throw;
  }
}

LaneSet::~LaneSet() { destroy(); }

void LaneSet::make_green_lanes(int gpu, std::uint32_t devices, std::uint32_t requested_sms) {
  const DriverApi& api = *driver_api().api;
  check_cuda(cudaSetDevice(gpu), "selecting GPU " + std::to_string(gpu));
  check_cuda(cudaFree(nullptr), "initialising GPU " + std::to_string(gpu));
  CUdevice device = 0;
  api.check(api.device_get(&device, gpu), "opening GPU " + std::to_string(gpu));
  CUdevResource all{};
  api.check(api.device_get_dev_resource(device, &all, CU_DEV_RESOURCE_TYPE_SM),
            "reading the SM resource of GPU " + std::to_string(gpu));
  const SmPartitionPlan partition = plan_sm_partitions(
      {all.sm.smCount, all.sm.minSmPartitionSize, all.sm.smCoscheduledAlignment}, devices,
      requested_sms);
  std::vector<CUdevResource> groups(devices);
  CUdevResource remaining{};
  unsigned made = devices;
  api.check(api.dev_sm_resource_split_by_count(groups.data(), &made, &all, &remaining, 0,
                                               partition.sms_per_device),
            "splitting the SMs of GPU " + std::to_string(gpu));
  if (made < devices) {
    throw Error("the driver split GPU " + std::to_string(gpu) + " into " + std::to_string(made) +
                " partitions of " + std::to_string(partition.sms_per_device) + " SMs, not " +
                std::to_string(devices));
  }
  unused_sms_ = all.sm.smCount;
  for (std::uint32_t d = 0; d < devices; ++d) {
    CUdevResourceDesc description = nullptr;
    api.check(api.dev_resource_generate_desc(&description, &groups[d], 1),
              "describing SM partition " + std::to_string(d));
    CUgreenCtx green = nullptr;
    api.check(api.green_ctx_create(&green, description, device, CU_GREEN_CTX_DEFAULT_STREAM),
              "creating green context " + std::to_string(d));
    green_contexts_.push_back(green);
    Lane lane{gpu, nullptr, nullptr, groups[d].sm.smCount, Isolation::GreenContext};
    api.check(api.ctx_from_green_ctx(&lane.context, green), "converting green context");
    CUstream stream = nullptr;
    api.check(api.green_ctx_stream_create(&stream, green, CU_STREAM_NON_BLOCKING, 0),
              "creating the stream of green context " + std::to_string(d));
    lane.stream = stream;
    lanes_.push_back(lane);
    unused_sms_ -= lane.sms;
  }
}

void LaneSet::make_plain_lanes(const DevicePlan& plan, Isolation isolation) {
  for (int gpu : plan.gpu_of_device) {
    check_cuda(cudaSetDevice(gpu), "selecting GPU " + std::to_string(gpu));
    Lane lane{gpu, nullptr, nullptr, sm_count(gpu), isolation};
    check_cuda(cudaStreamCreateWithFlags(&lane.stream, cudaStreamNonBlocking),
               "creating a stream on GPU " + std::to_string(gpu));
    lanes_.push_back(lane);
  }
}

void LaneSet::destroy() noexcept {
  const DriverApi* api = driver_api().api;
  for (const Lane& lane : lanes_) {
    if (lane.context != nullptr && api != nullptr) {
      api->stream_destroy(lane.stream);
    } else {
      cudaSetDevice(lane.gpu);
      cudaStreamDestroy(lane.stream);
    }
  }
  lanes_.clear();
  for (CUgreenCtx green : green_contexts_) {
    if (api != nullptr) api->green_ctx_destroy(green);
  }
  green_contexts_.clear();
  unused_sms_ = 0;
}

}  // namespace pipewise::exec::cuda
