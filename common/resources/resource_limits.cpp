#include "common/resources/resource_limits.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/ir/error.hpp"
#include "common/text/format.hpp"

namespace pipewise {
namespace {

// The whole file at `path`, or nullopt when it cannot be read (no error: these files are
// optional sources of information).
std::optional<std::string> slurp(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<std::uint64_t> leading_number(std::string_view text) {
  text.remove_prefix(std::min(text.find_first_not_of(" \t"), text.size()));
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

// Headroom of this process's cgroup v2 (memory.max − memory.current), or nullopt when it
// has no limit or is not in a cgroup v2 hierarchy.
std::optional<std::uint64_t> cgroup_headroom_bytes() {
  const std::optional<std::string> membership = slurp("/proc/self/cgroup");
  if (!membership) return std::nullopt;
  // cgroup v2 has the single line "0::/path".
  const std::size_t line = membership->find("0::");
  if (line == std::string::npos || (line > 0 && (*membership)[line - 1] != '\n')) {
    return std::nullopt;
  }
  std::string group = membership->substr(line + 3);
  group = group.substr(0, group.find('\n'));
  const std::string directory = "/sys/fs/cgroup" + (group == "/" ? std::string() : group);
  const std::optional<std::string> maximum = slurp(directory + "/memory.max");
  const std::optional<std::string> current = slurp(directory + "/memory.current");
  if (!maximum || !current) return std::nullopt;
  const std::optional<std::uint64_t> limit = leading_number(*maximum);  // "max": no limit
  const std::optional<std::uint64_t> used = leading_number(*current);
  if (!limit || !used) return std::nullopt;
  return *limit > *used ? *limit - *used : 0;
}

// Address space this process may still map under its RLIMIT_AS (ulimit -v): the limit
// minus /proc/self/status's VmSize; nullopt when unlimited or unknown.
std::optional<std::uint64_t> address_space_headroom_bytes() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  const std::optional<std::string> status = slurp("/proc/self/status");
  if (!status) return std::nullopt;
  const std::optional<std::uint64_t> used = vm_size_from_status(*status);
  if (!used) return std::nullopt;
  const std::uint64_t cap = limit.rlim_cur;
  return cap > *used ? cap - *used : 0;
}

}  // namespace

std::optional<std::uint64_t> vm_size_from_status(std::string_view status) {
  constexpr std::string_view kKey = "VmSize:";
  std::size_t at = status.find(kKey);
  while (at != std::string_view::npos && at > 0 && status[at - 1] != '\n') {
    at = status.find(kKey, at + 1);
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view line = status.substr(at + kKey.size());
  line = line.substr(0, line.find('\n'));
  const std::optional<std::uint64_t> kilobytes = leading_number(line);
  if (!kilobytes || line.find(" kB") == std::string_view::npos) return std::nullopt;
  if (*kilobytes > ~std::uint64_t{0} / 1024) return std::nullopt;
  return *kilobytes * 1024;
}

std::optional<std::uint64_t> mem_available_from_meminfo(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemAvailable:";
  std::size_t at = meminfo.find(kKey);
  while (at != std::string_view::npos && at > 0 && meminfo[at - 1] != '\n') {
    at = meminfo.find(kKey, at + 1);
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view line = meminfo.substr(at + kKey.size());
  line = line.substr(0, line.find('\n'));
  const std::optional<std::uint64_t> kilobytes = leading_number(line);
  if (!kilobytes || line.find(" kB") == std::string_view::npos) return std::nullopt;
  if (*kilobytes > ~std::uint64_t{0} / 1024) return std::nullopt;
  return *kilobytes * 1024;
}

std::optional<std::uint64_t> available_memory_bytes() {
  std::optional<std::uint64_t> available;
  if (const std::optional<std::string> meminfo = slurp("/proc/meminfo")) {
    available = mem_available_from_meminfo(*meminfo);
  }
  for (const std::optional<std::uint64_t> headroom :
       {cgroup_headroom_bytes(), address_space_headroom_bytes()}) {
    if (headroom) available = available ? std::min(*available, *headroom) : *headroom;
  }
  return available;
}

Status memory_fits(std::string_view what, std::uint64_t bytes, std::string_view reason,
                   std::uint64_t available_bytes) {
  if (bytes <= available_bytes) return {};
  return Status::failure(std::string(what) + " needs " + format_bytes(static_cast<double>(bytes)) +
                         " for " + std::string(reason) + "; this machine has " +
                         format_bytes(static_cast<double>(available_bytes)) + " available");
}

Status memory_available_for(std::string_view what, std::uint64_t bytes, std::string_view reason) {
  if (bytes < kAlwaysAffordableBytes) return {};
  const std::optional<std::uint64_t> available = available_memory_bytes();
  return available ? memory_fits(what, bytes, reason, *available) : Status();
}

void require_available_memory(std::string_view what, std::uint64_t bytes,
                              std::string_view reason) {
  memory_available_for(what, bytes, reason).throw_if_failed();
}

}  // namespace pipewise
