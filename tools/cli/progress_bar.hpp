#pragma once
// A one-line progress bar for long sweeps, drawn on a terminal only: when the stream is
// not a terminal (a pipe, a file, CI logs) it writes nothing at all.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace pipewise::tools {

// The text of the bar after `done` of `total` items in `elapsed_s` seconds, e.g.
// "[##########          ] 5000/10000  50%  2.50k/s  1s left" (no carriage return). The rate
// and time left are omitted until a rate can be measured.
std::string progress_line(std::size_t done, std::size_t total, double elapsed_s);

class ProgressBar {
 public:
  // Draws on `stream` if it is a terminal (isatty).
  ProgressBar(std::size_t total, std::FILE* stream);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws the bar in place.
  void update(std::size_t done);
  // Erases the bar (also done by the destructor), so later output starts on a clean line.
  void finish();

 private:
  std::size_t total_;
  std::FILE* stream_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace pipewise::tools
