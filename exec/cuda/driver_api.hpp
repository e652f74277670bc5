#pragma once
#include <cudaTypedefs.h>

#include <string>
#include <string_view>

namespace pipewise::exec::cuda {

// The driver-API functions the backend needs (green contexts and context switching),
// looked up at run time through cudaGetDriverEntryPointByVersion. Nothing links libcuda,
// so binaries still start on machines without a driver (they then find no device).
struct DriverApi {
  PFN_cuGetErrorName_v6000 get_error_name = nullptr;
  PFN_cuDeviceGet_v2000 device_get = nullptr;
  PFN_cuCtxGetCurrent_v4000 ctx_get_current = nullptr;
  PFN_cuCtxSetCurrent_v4000 ctx_set_current = nullptr;
  PFN_cuDeviceGetDevResource_v12040 device_get_dev_resource = nullptr;
  PFN_cuDevSmResourceSplitByCount_v12040 dev_sm_resource_split_by_count = nullptr;
  PFN_cuDevResourceGenerateDesc_v12040 dev_resource_generate_desc = nullptr;
  PFN_cuGreenCtxCreate_v12040 green_ctx_create = nullptr;
  PFN_cuGreenCtxDestroy_v12040 green_ctx_destroy = nullptr;
  PFN_cuCtxFromGreenCtx_v12040 ctx_from_green_ctx = nullptr;
  PFN_cuGreenCtxStreamCreate_v12050 green_ctx_stream_create = nullptr;
  PFN_cuStreamDestroy_v4000 stream_destroy = nullptr;

  // Throws pipewise::Error "<what>: CUDA driver error <name>" unless `status` is success.
  void check(CUresult status, std::string_view what) const;
};

// The driver API, loaded once per process. `reason` is empty when every function was
// found, else one line saying which was not (an old driver, no driver at all); callers
// fall back (plain streams instead of green contexts) and report it.
struct DriverApiLookup {
  const DriverApi* api = nullptr;
  std::string reason;
};
const DriverApiLookup& driver_api();

}  // namespace pipewise::exec::cuda
