#include "tools/cli/progress_bar.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <unistd.h>

namespace pipewise::tools {
namespace {

std::string rate_text(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f}M/s", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.2f}k/s", per_second / 1e3);
  return fmt::format("{:.0f}/s", per_second);
}

std::string time_text(double seconds) {
  const auto whole = static_cast<long long>(std::ceil(seconds));
  if (whole >= 3600) return fmt::format("{}h{:02}m", whole / 3600, whole / 60 % 60);
  if (whole >= 60) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}s", whole);
}

}  // namespace

std::string progress_line(std::size_t done, std::size_t total, double elapsed_s) {
  constexpr std::size_t kWidth = 30;
  const auto done_items = static_cast<double>(done);
  const auto total_items = static_cast<double>(total);
  const double fraction = total == 0 ? 1.0 : std::min(1.0, done_items / total_items);
  const auto filled = static_cast<std::size_t>(fraction * kWidth);
  std::string line = "[" + std::string(filled, '#') + std::string(kWidth - filled, ' ') + "] ";
  line += fmt::format("{}/{}  {:3.0f}%", done, total, fraction * 100);
  if (done > 0 && elapsed_s > 0) {
    const double rate = done_items / elapsed_s;
    const double left = std::max(0.0, total_items - done_items) / rate;
    line += "  " + rate_text(rate) + "  " + time_text(left) + " left";
  }
  return line;
}

ProgressBar::ProgressBar(std::size_t total, std::FILE* stream)
    : total_(total),
      stream_(stream),
      enabled_(isatty(fileno(stream)) != 0),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::size_t done) {
  if (!enabled_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // \r returns to the line's start, \033[K clears what a longer earlier line left.
  std::fprintf(stream_, "\r%s\033[K", progress_line(done, total_, elapsed).c_str());
  std::fflush(stream_);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  std::fprintf(stream_, "\r\033[K");
  std::fflush(stream_);
  drawn_ = false;
}

}  // namespace pipewise::tools
