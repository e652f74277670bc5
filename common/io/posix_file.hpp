#pragma once
// Small POSIX helpers shared by the file readers and writers of common/io: a descriptor
// closed on scope exit, a write loop that survives partial writes and EINTR, and the
// system's text for an errno value.
#include <string>
#include <string_view>

namespace pipewise::posix {

// The system's text for an errno value ("Permission denied"); thread-safe, unlike strerror.
std::string reason(int error_number);

// Closes a file descriptor when it goes out of scope, unless closed before.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  // Closes now; returns 0 or the errno of a failed close.
  int close_now();

 private:
  int fd_;
};

// Writes all of `contents` to `fd`; returns 0 or the errno of the failure.
int write_all(int fd, std::string_view contents);

}  // namespace pipewise::posix
