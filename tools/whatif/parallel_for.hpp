#pragma once
// Running independent work items on all cores: the sweep and the recommendation simulate
// thousands of configurations, each on its own.
#include <chrono>
#include <cstddef>
#include <functional>

namespace pipewise::tools {

// Calls body(i) once for every i in [0, count), on `threads` worker threads (at least 1)
// that take items in small batches. While they work, the calling thread calls
// progress(done) about every `interval` and once more when all is done (if progress is
// set). If a body throws, the remaining items are abandoned and the first exception is
// rethrown here once every worker has stopped. When the system refuses a thread, the
// started ones are stopped and joined, and pipewise::Error says so.
void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& body,
                  const std::function<void(std::size_t)>& progress = {},
                  std::chrono::milliseconds interval = std::chrono::milliseconds(100));

// The number of worker threads to use by default: the hardware's, at least 1.
unsigned default_thread_count();

}  // namespace pipewise::tools
