#pragma once
// Temporary files that a signal must not leave behind. write_file_atomically writes to a
// temporary file and renames it into place; when SIGINT, SIGTERM or SIGHUP ends the process
// in between, the target is untouched but the temporary would stay. The handler installed
// here removes every temporary file still registered, then lets the signal end the process
// as it would have (same signal, default action).
#include <cstddef>
#include <string>

namespace pipewise {

// Installs the handler for SIGINT, SIGTERM and SIGHUP once per process (later calls do
// nothing). Signals the process ignored when it started stay ignored.
void remove_temporary_files_on_signals();

// Registers `path` as a temporary file being written until the object is destroyed. Paths
// longer than 4095 bytes, and registrations beyond 64 at once, are not registered (the
// handler then cannot remove them; nothing else changes). Cheap: no allocation, no lock.
class RegisteredTemporaryFile {
 public:
  explicit RegisteredTemporaryFile(const std::string& path) noexcept;
  ~RegisteredTemporaryFile();
  RegisteredTemporaryFile(const RegisteredTemporaryFile&) = delete;
  RegisteredTemporaryFile& operator=(const RegisteredTemporaryFile&) = delete;

  // Whether the handler would remove it.
  bool registered() const noexcept { return slot_ != kNoSlot; }

 private:
  static constexpr std::size_t kNoSlot = ~std::size_t{0};
  std::size_t slot_ = kNoSlot;
};

}  // namespace pipewise
