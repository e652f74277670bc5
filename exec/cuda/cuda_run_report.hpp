#pragma once
#include <string>

#include "exec/cuda/cuda_backend_options.hpp"

namespace pipewise::exec::cuda {

// The report of a CUDA run as text for people, one fact per line: the device mode and how
// the devices were isolated, the math and the messages by route, each device's GPU, SMs
// and arena, each GPU's memory cross-check, and a "warning:" line when emulated devices
// fell back to sharing SMs. Ends with a newline.
std::string describe_cuda_run(const CudaRunReport& report);

}  // namespace pipewise::exec::cuda
