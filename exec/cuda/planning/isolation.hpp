#pragma once
#include <cstdint>
#include <string_view>

namespace pipewise::exec::cuda {

// How a pipeline device's share of its GPU is enforced.
enum class Isolation : std::uint8_t {
  WholeGpu,       // the device has the GPU to itself
  GreenContext,   // an SM partition of a shared GPU (driver green context)
  SharedStreams,  // a plain stream on a shared GPU: no SM partition (fallback)
};
std::string_view isolation_name(Isolation isolation);  // "whole-gpu", "green-context", "shared-streams"

}  // namespace pipewise::exec::cuda
