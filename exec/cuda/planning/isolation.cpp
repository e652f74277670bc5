#include "exec/cuda/planning/isolation.hpp"

namespace pipewise::exec::cuda {

std::string_view isolation_name(Isolation isolation) {
  switch (isolation) {
    case Isolation::GreenContext: return "green-context";
    case Isolation::SharedStreams: return "shared-streams";
    case Isolation::WholeGpu: break;
  }
  return "whole-gpu";
}

}  // namespace pipewise::exec::cuda
