#include "exec/cuda/driver_api.hpp"

#include <cuda_runtime_api.h>

#include "common/ir/error.hpp"

namespace pipewise::exec::cuda {
namespace {

// Finds `symbol` as of driver API version `version`; false (and `reason` set) if absent.
template <typename Function>
bool find(const char* symbol, unsigned version, Function& function, std::string& reason) {
  void* address = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
  const cudaError_t status =
      cudaGetDriverEntryPointByVersion(symbol, &address, version, cudaEnableDefault, &found);
  if (status != cudaSuccess || found != cudaDriverEntryPointSuccess || address == nullptr) {
    if (status != cudaSuccess) cudaGetLastError();
    reason = std::string("driver function ") + symbol + " (CUDA " + std::to_string(version / 1000) +
             "." + std::to_string(version % 1000 / 10) + ") is unavailable: " +
             (status != cudaSuccess ? cudaGetErrorString(status)
                                    : found == cudaDriverEntryPointVersionNotSufficent
                                          ? "the driver is too old"
                                          : "symbol not found");
    return false;
  }
  function = reinterpret_cast<Function>(address);
  return true;
}

DriverApiLookup load() {
  static DriverApi api;
  DriverApiLookup lookup;
  std::string& why = lookup.reason;
  const bool complete =
      find("cuGetErrorName", 6000, api.get_error_name, why) &&
      find("cuDeviceGet", 2000, api.device_get, why) &&
      find("cuCtxGetCurrent", 4000, api.ctx_get_current, why) &&
      find("cuCtxSetCurrent", 4000, api.ctx_set_current, why) &&
      find("cuDeviceGetDevResource", 12040, api.device_get_dev_resource, why) &&
      find("cuDevSmResourceSplitByCount", 12040, api.dev_sm_resource_split_by_count, why) &&
      find("cuDevResourceGenerateDesc", 12040, api.dev_resource_generate_desc, why) &&
      find("cuGreenCtxCreate", 12040, api.green_ctx_create, why) &&
      find("cuGreenCtxDestroy", 12040, api.green_ctx_destroy, why) &&
      find("cuCtxFromGreenCtx", 12040, api.ctx_from_green_ctx, why) &&
      find("cuGreenCtxStreamCreate", 12050, api.green_ctx_stream_create, why) &&
      find("cuStreamDestroy", 4000, api.stream_destroy, why);
  if (complete) lookup.api = &api;
  return lookup;
}

}  // namespace

void DriverApi::check(CUresult status, std::string_view what) const {
  if (status == CUDA_SUCCESS) return;
  const char* name = nullptr;
  if (get_error_name == nullptr || get_error_name(status, &name) != CUDA_SUCCESS || name == nullptr) {
    name = "unknown";
  }
  throw Error(std::string(what) + ": CUDA driver error " + name + " (" +
              std::to_string(static_cast<int>(status)) + ")");
}

const DriverApiLookup& driver_api() {
  static const DriverApiLookup lookup = load();
  return lookup;
}

}  // namespace pipewise::exec::cuda
