#include "tools/model/hardware.hpp"

#include <algorithm>
#include <cmath>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"

namespace pipewise::tools {
namespace {

constexpr double kMiBytes = 1024.0 * 1024.0;

// The A100's efficiency, fitted by `pipewise published-runs --calibrate` to Narayanan et
// al. SC'21 Table 1 (145.6B) and Korthikanti et al. 2022 Table 5 (175B, selective); the
// H100 and H200 have no published run in pipewise's table and use the same fraction.
constexpr double kCalibratedGemmEfficiency = 0.799;

HardwareSpec spec(std::string name, double peak_tflops, double memory_mib, double memory_gb_per_s,
                  double intra_node_gb_per_s, double inter_node_gb_per_s) {
  HardwareSpec hardware;
  hardware.name = std::move(name);
  hardware.peak_tflops = peak_tflops;
  hardware.memory_bytes = memory_mib * kMiBytes;
  hardware.memory_gb_per_s = memory_gb_per_s;
  hardware.intra_node_gb_per_s = intra_node_gb_per_s;
  hardware.inter_node_gb_per_s = inter_node_gb_per_s;
  hardware.gemm_efficiency = kCalibratedGemmEfficiency;
  return hardware;
}

void require_positive(double value, const char* what) {
  if (!std::isfinite(value) || value <= 0) {
    throw Error(std::string(what) + " must be a finite number > 0 (got " + format_number(value) + ")");
  }
}

void require_finite_at_least_zero(double value, const char* what) {
  if (!std::isfinite(value) || value < 0) {
    throw Error(std::string(what) + " must be a finite number >= 0 (got " + format_number(value) + ")");
  }
}

double efficiency_of(double dimension, const HardwareSpec& hardware) {
  return dimension / (dimension + hardware.gemm_half_dimension);
}

}  // namespace

void HardwareSpec::check() const {
  require_positive(peak_tflops, "device peak TFLOP/s");
  require_positive(memory_bytes, "device memory");
  require_positive(memory_gb_per_s, "device memory bandwidth");
  require_positive(intra_node_gb_per_s, "intra-node bandwidth");
  require_positive(inter_node_gb_per_s, "inter-node bandwidth");
  require_finite_at_least_zero(gemm_half_dimension, "GEMM half dimension");
  if (!(intra_node_latency_us >= 0 && std::isfinite(intra_node_latency_us)) ||
      !(inter_node_latency_us >= 0 && std::isfinite(inter_node_latency_us))) {
    throw Error("link latencies must be finite numbers >= 0");
  }
  if (gpus_per_node == 0) throw Error("GPUs per node must be at least 1");
  if (!(gemm_efficiency > 0 && gemm_efficiency <= 1)) {
    throw Error("GEMM efficiency must be in (0, 1] (got " + format_number(gemm_efficiency) + ")");
  }
}

const std::vector<HardwarePreset>& hardware_presets() {
  // Dense bf16 peak, memory as nvidia-smi reports it, HBM bandwidth, NVLink per direction
  // (half the datasheet's bidirectional figure), one HCA per GPU.
  static const std::vector<HardwarePreset> kPresets = {
      {"a100-40gb", "NVIDIA A100 SXM4 40GB: 312 TFLOP/s, 1555 GB/s, NVLink 300 GB/s, HDR 25 GB/s",
       spec("a100-40gb", 312, 40960, 1555, 300, 25)},
      {"a100-80gb", "NVIDIA A100 SXM4 80GB: 312 TFLOP/s, 2039 GB/s, NVLink 300 GB/s, HDR 25 GB/s",
       spec("a100-80gb", 312, 81920, 2039, 300, 25)},
      {"h100-sxm", "NVIDIA H100 SXM5 80GB: 989 TFLOP/s, 3350 GB/s, NVLink 450 GB/s, NDR 50 GB/s",
       spec("h100-sxm", 989, 81559, 3350, 450, 50)},
      {"h200", "NVIDIA H200 SXM 141GB: 989 TFLOP/s, 4800 GB/s, NVLink 450 GB/s, NDR 50 GB/s",
       spec("h200", 989, 143771, 4800, 450, 50)},
  };
  return kPresets;
}

const HardwarePreset* find_hardware_preset(std::string_view name) {
  for (const HardwarePreset& preset : hardware_presets()) {
    if (preset.name == name) return &preset;
  }
  return nullptr;
}

const HardwareSpec& hardware_preset(std::string_view name) {
  if (const HardwarePreset* preset = find_hardware_preset(name)) return preset->spec;
  std::string known;
  for (const HardwarePreset& preset : hardware_presets()) {
    known += (known.empty() ? "" : ", ") + preset.name;
  }
  throw Error("unknown device type \"" + std::string(name) + "\" (known: " + known + ")");
}

double gemm_ms(const Gemm& gemm, const HardwareSpec& hardware) {
  if (gemm.flops() <= 0) return 0;
  const double efficiency = hardware.gemm_efficiency * efficiency_of(gemm.batch * gemm.m, hardware) *
                            efficiency_of(gemm.n, hardware) * efficiency_of(gemm.k, hardware);
  const double compute_ms = gemm.flops() / (hardware.peak_tflops * 1e9 * efficiency);
  return std::max(compute_ms, memory_bound_ms(gemm.bytes(), hardware));
}

double memory_bound_ms(double bytes, const HardwareSpec& hardware) {
  return bytes / (hardware.memory_gb_per_s * 1e6 * kMemoryEfficiency);
}

double link_gb_per_s(Link link, const HardwareSpec& hardware) {
  const double rate = link == Link::IntraNode ? hardware.intra_node_gb_per_s : hardware.inter_node_gb_per_s;
  return rate * kLinkEfficiency;
}

double link_latency_ms(Link link, const HardwareSpec& hardware) {
  return (link == Link::IntraNode ? hardware.intra_node_latency_us : hardware.inter_node_latency_us) /
         1000;
}

double ring_gb_per_s(Link link, std::uint32_t members_per_node, const HardwareSpec& hardware) {
  const double nvlink = link_gb_per_s(Link::IntraNode, hardware);
  if (link == Link::IntraNode) return nvlink;
  const double cards = std::max<std::uint32_t>(members_per_node, 1);
  return std::min(nvlink, cards * link_gb_per_s(Link::InterNode, hardware));
}

double all_reduce_ms(double bytes, std::uint32_t ranks, Link link, const HardwareSpec& hardware) {
  return 2 * all_gather_ms(bytes, ranks, link, hardware);
}

double all_gather_ms(double bytes, std::uint32_t ranks, Link link, const HardwareSpec& hardware) {
  if (ranks <= 1) return 0;
  const double steps = ranks - 1;
  return steps / ranks * bytes / (link_gb_per_s(link, hardware) * 1e6) +
         steps * link_latency_ms(link, hardware);
}

}  // namespace pipewise::tools
