#include "common/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "common/io/temporary_file_registry.hpp"
#include "common/ir/error.hpp"

namespace pipewise {
namespace {

// The system's text for an errno value ("Permission denied"); thread-safe, unlike strerror.
std::string reason(int error_number) {
  return std::error_code(error_number, std::generic_category()).message();
}

[[noreturn]] void throw_write_error(const std::string& path, int error_number) {
  throw Error("cannot write " + path + ": " + reason(error_number));
}

[[noreturn]] void throw_read_error(const std::string& path, int error_number) {
  throw Error("cannot read " + path + ": " + reason(error_number));
}

// Closes a file descriptor when it goes out of scope, unless released.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now; returns 0 or the errno of a failed close.
  int close_now() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Writes all of `contents` to `fd`; returns 0 or the errno of the failure.
int write_all(int fd, std::string_view contents) {
  while (!contents.empty()) {
    const ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    contents.remove_prefix(static_cast<std::size_t>(written));
  }
  return 0;
}

// A name next to `path` that no other writer in this or another process uses at once.
std::string temporary_name(const std::string& path, unsigned attempt) {
  static std::atomic<unsigned long> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(attempt);
}

// The directory holding `path`, for the fsync that makes the rename durable.
std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  std::string temporary;
  int fd = -1;
  for (unsigned attempt = 0; fd < 0; ++attempt) {
    temporary = temporary_name(path, attempt);
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt == 100)) throw_write_error(path, errno);
  }
  const RegisteredTemporaryFile removed_on_signals(temporary);
  FileDescriptor file(fd);
  int error_number = write_all(file.get(), contents);
  if (error_number == 0 && ::fsync(file.get()) != 0) error_number = errno;
  const int close_error = file.close_now();
  if (error_number == 0) error_number = close_error;
  if (error_number == 0 && std::rename(temporary.c_str(), path.c_str()) != 0) {
    error_number = errno;
  }
  if (error_number != 0) {
    ::unlink(temporary.c_str());
    throw_write_error(path, error_number);
  }
  // Make the rename itself durable; the new file is already complete and in place, so a
  // directory that cannot be synced (some file systems refuse) is not an error.
  const int directory = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    ::fsync(directory);
    ::close(directory);
  }
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_read_error(path, errno);
  FileDescriptor file(fd);
  std::string contents;
  struct stat status {};
  if (::fstat(file.get(), &status) == 0 && S_ISREG(status.st_mode)) {
    contents.reserve(static_cast<std::size_t>(status.st_size));
  }
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = ::read(file.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_read_error(path, errno);
    }
    if (got == 0) break;
    contents.append(buffer, static_cast<std::size_t>(got));
  }
  return contents;
}

}  // namespace pipewise
