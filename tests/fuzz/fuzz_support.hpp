#pragma once
// Shared by the libFuzzer targets of tests/fuzz: each target feeds the bytes libFuzzer
// gives it to one parser (or, for fuzz_validate, decodes them into a schedule). A
// pipewise::Error is the correct answer to bad input and is swallowed; any other exception
// escapes and aborts (libFuzzer reports it as a crash), as do sanitizer reports, leaks,
// hangs past -timeout and allocations past -rss_limit_mb.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pipewise::fuzz {

// The input as text (it may hold any bytes, NUL included).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Stops the run with `property` named: a property the fuzzed code promises was broken.
[[noreturn]] inline void broken(const char* property) {
  std::fprintf(stderr, "pipewise fuzz: broken property: %s\n", property);
  std::abort();
}

}  // namespace pipewise::fuzz
