#pragma once
// The machine a model trains on, and how long work takes on it: GEMMs on a roofline with a
// shape-dependent efficiency, memory-bound kernels at the memory bandwidth, and NCCL
// collectives and point-to-point messages on the link they cross.
//
// Presets are datasheet numbers (NVIDIA A100, H100 and H200 datasheets; DGX A100/H100/H200
// user guides for the network: one ConnectX HCA per GPU, HDR 200 Gb/s on DGX A100, NDR
// 400 Gb/s on DGX H100/H200) plus ONE calibrated number per GPU type, gemm_efficiency: the
// fraction of the dense peak that the largest GEMMs reach in Megatron-LM. The A100's is
// fitted by `pipewise published-runs --calibrate` (tools/whatif/published_runs.hpp) to one
// row of each paper it reproduces; nothing else is fitted, and nothing per model.
//
// The time model, the same for every GPU:
//  - a GEMM of dimensions M×N×K (`batch` of them) runs at gemm_efficiency · g(batch·M) ·
//    g(N) · g(K) of the peak, with g(x) = x / (x + gemm_half_dimension): a dimension as
//    long as one of cuBLAS's most efficient tiles, 256 (NVIDIA, "Matrix Multiplication
//    Background User's Guide", §2.3 and §3), runs at half the rate, so small hidden sizes
//    per tensor-parallel rank, short reductions and small micro-batches run slower, as they
//    do on real GPUs; a batched GEMM's batches fill the GPU together, hence batch·M. No GEMM
//    runs faster than its bytes at the memory bandwidth allow (the roofline);
//  - memory-bound kernels (norms, softmax, dropout, activations, the loss) move their bytes
//    at kMemoryEfficiency of the memory bandwidth;
//  - collectives and messages reach kLinkEfficiency of the link bandwidth (NCCL's bus
//    bandwidth on a DGX is about 80% of the link rate), plus a latency per ring step.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pipewise::tools {

inline constexpr double kMemoryEfficiency = 0.8;
inline constexpr double kLinkEfficiency = 0.8;

struct HardwareSpec {
  std::string name = "custom";
  double peak_tflops = 989;             // dense 16-bit tensor-core peak, TFLOP/s
  double memory_bytes = 81559.0 * 1024 * 1024;  // device memory (what nvidia-smi reports)
  double memory_gb_per_s = 3350;        // HBM bandwidth, 10^9 B/s
  double intra_node_gb_per_s = 450;     // NVLink, per GPU and direction, 10^9 B/s
  double inter_node_gb_per_s = 50;      // network, per GPU and direction, 10^9 B/s
  double intra_node_latency_us = 2;     // per ring step or message inside a node
  double inter_node_latency_us = 5;     // per ring step or message between nodes
  std::uint32_t gpus_per_node = 8;
  double gemm_efficiency = 0.8;         // the calibrated fraction of peak of the largest GEMMs
  double gemm_half_dimension = 256;     // the GEMM dimension that halves the rate (see above)

  // Throws pipewise::Error naming the first value that is not finite and positive (or an
  // efficiency above 1).
  void check() const;
  // The dense throughput of the largest GEMMs, TFLOP/s: peak · gemm_efficiency.
  double achieved_tflops() const { return peak_tflops * gemm_efficiency; }
};

struct HardwarePreset {
  std::string name;
  std::string summary;  // one line for --help
  HardwareSpec spec;
};

// a100-40gb, a100-80gb, h100-sxm, h200 (the default device is h100-sxm).
const std::vector<HardwarePreset>& hardware_presets();
// The preset called `name`, or nullptr.
const HardwarePreset* find_hardware_preset(std::string_view name);
// The preset called `name`; throws pipewise::Error listing the known ones otherwise.
const HardwareSpec& hardware_preset(std::string_view name);

// One matrix multiply C[M×N] = A[M×K]·B[K×N] in 16-bit, `batch` times (batched GEMMs).
struct Gemm {
  double m = 0;
  double n = 0;
  double k = 0;
  double batch = 1;

  double flops() const { return 2 * m * n * k * batch; }
  double bytes() const { return 2 * (m * k + k * n + m * n) * batch; }
};

// Milliseconds of `gemm` on `hardware` (see the top of this file).
double gemm_ms(const Gemm& gemm, const HardwareSpec& hardware);
// Milliseconds of memory-bound kernels that move `bytes`.
double memory_bound_ms(double bytes, const HardwareSpec& hardware);

// Which link a collective or message crosses.
enum class Link : std::uint8_t { IntraNode, InterNode };

// Ring collectives over `ranks` devices of a `bytes` tensor (its full, gathered size):
// all-reduce 2(n−1)/n · bytes, all-gather and reduce-scatter (n−1)/n · bytes each, at the
// link's bandwidth, plus a latency per ring step; 0 for one rank.
double all_reduce_ms(double bytes, std::uint32_t ranks, Link link, const HardwareSpec& hardware);
double all_gather_ms(double bytes, std::uint32_t ranks, Link link, const HardwareSpec& hardware);
// A link's achieved bandwidth in GB/s (10^9 B/s) and its latency in ms.
double link_gb_per_s(Link link, const HardwareSpec& hardware);
double link_latency_ms(Link link, const HardwareSpec& hardware);
// The achieved bandwidth per rank, in GB/s, of a ring collective whose group has
// `members_per_node` ranks in each node it spans. Inside a node, the NVLink rate. Across
// nodes NCCL runs a ring (channel) per network card, each carrying its share of the
// tensor, so the group crosses the network through all its members' cards at once:
// members_per_node times the per-GPU network rate, and never faster than NVLink.
double ring_gb_per_s(Link link, std::uint32_t members_per_node, const HardwareSpec& hardware);

}  // namespace pipewise::tools
