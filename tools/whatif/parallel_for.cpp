#include "tools/whatif/parallel_for.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "common/ir/error.hpp"

namespace pipewise::tools {

void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& body,
                  const std::function<void(std::size_t)>& progress,
                  std::chrono::milliseconds interval) {
  threads = std::max(1u, threads);
  // Batches small enough to balance uneven items, large enough to keep the shared counter cool.
  const std::size_t batch = std::max<std::size_t>(1, std::min<std::size_t>(64, count / (threads * 16)));
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex mutex;
  std::condition_variable finished;
  unsigned running = threads;

  const auto work = [&] {
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const std::size_t first = next.fetch_add(batch, std::memory_order_relaxed);
        if (first >= count) break;
        const std::size_t last = std::min(count, first + batch);
        for (std::size_t i = first; i < last; ++i) body(i);
        done.fetch_add(last - first, std::memory_order_relaxed);
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
    }
    std::lock_guard lock(mutex);
    if (--running == 0) finished.notify_all();
  };

  std::vector<std::thread> workers;
  workers.reserve(threads);
  try {
    for (unsigned t = 0; t < threads; ++t) workers.emplace_back(work);
  } catch (const std::system_error& error) {
    // A thread the system refuses (a limit on threads or address space) must not leave the
    // started ones joinable, which would terminate the process: stop them, then fail.
    {
      std::lock_guard lock(mutex);
      failed = true;
      running -= threads - static_cast<unsigned>(workers.size());
    }
    for (std::thread& worker : workers) worker.join();
    throw Error("could not start thread " + std::to_string(workers.size() + 1) + " of the " +
                std::to_string(threads) + " asked for: " + error.code().message() +
                " (a limit on threads or memory; ask for fewer threads)");
  }
  {
    std::unique_lock lock(mutex);
    while (running > 0) {
      finished.wait_for(lock, interval, [&] { return running == 0; });
      if (progress && running > 0) {
        lock.unlock();
        progress(done.load(std::memory_order_relaxed));
        lock.lock();
      }
    }
  }
  for (std::thread& worker : workers) worker.join();
  if (failure) std::rethrow_exception(failure);
  if (progress) progress(done.load());
}

unsigned default_thread_count() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace pipewise::tools
