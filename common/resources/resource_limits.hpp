#pragma once
// Refusing work that cannot fit in this machine's memory before it starts, with the
// estimate, instead of letting the kernel kill the process halfway through (or the machine
// swap for an hour). Callers estimate what their work needs; this asks the machine.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ir/status.hpp"

namespace pipewise {

// Bytes this process can still allocate without the kernel reclaiming hard or killing it,
// or an allocation failing: /proc/meminfo's MemAvailable, lowered to the headroom of the
// process's cgroup (v2 memory.max minus memory.current) when that is limited, and to the
// address space left under its RLIMIT_AS (ulimit -v; the limit minus VmSize) when that is
// set. nullopt when none can be read (e.g. not Linux); callers then enforce no limit.
std::optional<std::uint64_t> available_memory_bytes();

// VmSize of a /proc/self/status text in bytes (the file gives kB), or nullopt when the line
// is missing or malformed.
std::optional<std::uint64_t> vm_size_from_status(std::string_view status);

// MemAvailable of a /proc/meminfo text in bytes (the file gives kB), or nullopt when the
// line is missing or malformed.
std::optional<std::uint64_t> mem_available_from_meminfo(std::string_view meminfo);

// Whether `bytes` fit in `available_bytes`; if not, one line naming `what`, the bytes,
// `reason` and the machine's memory: "1f1b p=1024 v=1 m=1000000000 n=1 needs 45.6 TiB for
// its 2.0e+12 ops; this machine has 23.4 GiB available".
Status memory_fits(std::string_view what, std::uint64_t bytes, std::string_view reason,
                   std::uint64_t available_bytes);

// Below this many bytes memory_available_for checks nothing: any machine we run on has
// them, and small requests are spared the read of /proc. Callers on hot paths test it
// before they build their messages.
inline constexpr std::uint64_t kAlwaysAffordableBytes = std::uint64_t{256} << 20;

// memory_fits against available_memory_bytes(); ok when that is unknown, and below
// kAlwaysAffordableBytes.
Status memory_available_for(std::string_view what, std::uint64_t bytes, std::string_view reason);

// memory_available_for, throwing pipewise::Error with the reason when the bytes do not fit.
void require_available_memory(std::string_view what, std::uint64_t bytes,
                              std::string_view reason);

}  // namespace pipewise
