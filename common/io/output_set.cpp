#include "common/io/output_set.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>

#include "common/io/posix_file.hpp"
#include "common/io/temporary_file_registry.hpp"
#include "common/ir/error.hpp"

namespace pipewise {
namespace {

using posix::FileDescriptor;

constexpr int kMostLinks = 40;  // as the kernel's own limit on following links

enum class Kind {
  Descriptor,  // an open descriptor of this process: written through
  Stream,      // a character device or a FIFO: opened and written through
  File,        // a regular file, or none yet: a temporary file renamed over it
};

// Where one output's path leads.
struct Destination {
  Kind kind = Kind::File;
  int descriptor = -1;  // Descriptor
  std::string target;   // Stream: the path to open; File: the file to replace, links followed
  bool exists = false;  // File: it exists (its mode, owner and group are kept)
  mode_t mode = 0;
  uid_t owner = 0;
  gid_t group = 0;
  bool shareable = false;  // a character device: several outputs may write through it
  std::string identity;    // equal for two paths that lead to the same file or stream
};

[[noreturn]] void fail(const std::string& shown, int error_number) {
  throw Error("cannot write " + shown + ": " + posix::reason(error_number));
}

[[noreturn]] void refuse(const std::string& shown, const std::string& why) {
  throw Error("cannot write " + shown + ": " + why +
              " (pipewise writes regular files, character devices, pipes and -)");
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The descriptor a path names directly: /dev/stdout, /dev/stderr, /dev/fd/N,
// /proc/self/fd/N, /proc/thread-self/fd/N or /proc/<this process>/fd/N.
std::optional<int> descriptor_named(const std::string& path) {
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (const std::string& prefix :
       {std::string("/dev/fd/"), std::string("/proc/self/fd/"), std::string("/proc/thread-self/fd/"),
        "/proc/" + std::to_string(::getpid()) + "/fd/"}) {
    if (!starts_with(path, prefix) || path.size() == prefix.size()) continue;
    const std::string digits = path.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    return std::stoi(digits);
  }
  return std::nullopt;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string inode_identity(const struct stat& status) {
  return "inode " + std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

Destination descriptor_destination(int descriptor) {
  Destination destination;
  destination.kind = Kind::Descriptor;
  destination.descriptor = descriptor;
  struct stat status {};
  if (::fstat(descriptor, &status) == 0) {
    destination.identity = inode_identity(status);
    destination.shareable = S_ISCHR(status.st_mode);
  } else {
    destination.identity = "descriptor " + std::to_string(descriptor);
  }
  return destination;
}

// Where `path` leads (see output_set.hpp). `shown` names it in errors.
Destination resolve(const std::string& path, const std::string& shown) {
  if (path == "-") return descriptor_destination(1);
  if (path.empty()) refuse(shown, "an empty path");
  std::string current = path;
  for (int links = 0; links <= kMostLinks; ++links) {
    if (const std::optional<int> descriptor = descriptor_named(current)) {
      return descriptor_destination(*descriptor);
    }
    if (starts_with(current, "/proc/") || starts_with(current, "/sys/")) {
      refuse(shown, "a kernel interface under /proc or /sys");
    }
    struct stat status {};
    if (::lstat(current.c_str(), &status) != 0) {
      if (errno != ENOENT) fail(shown, errno);
      // A new file (a missing directory shows when its temporary file is created).
      Destination destination;
      destination.target = current;
      struct stat directory {};
      destination.identity =
          ::stat(directory_of(current).c_str(), &directory) == 0
              ? inode_identity(directory) + "/" + current.substr(current.rfind('/') + 1)
              : "path " + current;
      return destination;
    }
    if (S_ISLNK(status.st_mode)) {
      std::string target(static_cast<std::size_t>(status.st_size > 0 ? status.st_size : 255) + 1, '\0');
      const ssize_t length = ::readlink(current.c_str(), target.data(), target.size());
      if (length < 0) fail(shown, errno);
      target.resize(static_cast<std::size_t>(length));
      current = target.front() == '/' ? target : directory_of(current) + "/" + target;
      continue;
    }
    Destination destination;
    destination.identity = inode_identity(status);
    if (S_ISREG(status.st_mode)) {
      // A rename puts a new file under this one name only: the file's other hard links
      // would keep the old contents, silently split from this one.
      if (status.st_nlink > 1) {
        throw Error("cannot write " + shown + ": it has " + std::to_string(status.st_nlink) +
                    " hard links, which replacing it would split apart (remove the other links "
                    "or write to a new file)");
      }
      destination.target = current;
      destination.exists = true;
      destination.mode = status.st_mode & 07777;
      destination.owner = status.st_uid;
      destination.group = status.st_gid;
      return destination;
    }
    if (S_ISCHR(status.st_mode) || S_ISFIFO(status.st_mode)) {
      destination.kind = Kind::Stream;
      destination.target = current;
      destination.shareable = S_ISCHR(status.st_mode);
      return destination;
    }
    if (S_ISDIR(status.st_mode)) fail(shown, EISDIR);
    refuse(shown, S_ISBLK(status.st_mode)    ? "it is a block device"
                  : S_ISSOCK(status.st_mode) ? "it is a socket"
                                             : "it is not a regular file");
  }
  fail(shown, ELOOP);
}

// A name next to `path` that no other writer in this or another process uses at once.
std::string temporary_name(const std::string& path, unsigned attempt) {
  static std::atomic<unsigned long> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(attempt);
}

// One output on its way: where it goes and, for a file, its written temporary.
struct Pending {
  std::string shown;
  std::string what;
  const std::string* contents = nullptr;
  Destination destination;
  std::string temporary;
  std::unique_ptr<RegisteredTemporaryFile> registration;
  FileDescriptor stream;  // Stream: opened before anything is written through
};

// Writes `contents` to a new temporary file beside `pending.destination.target`, flushed
// to disk, with the old file's mode, owner and group. Throws naming the output; a file
// whose owner or group this process cannot give its replacement is refused.
void write_temporary(Pending& pending) {
  const Destination& destination = pending.destination;
  int fd = -1;
  for (unsigned attempt = 0; fd < 0; ++attempt) {
    pending.temporary = temporary_name(destination.target, attempt);
    fd = ::open(pending.temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt == 100)) {
      pending.temporary.clear();
      fail(pending.shown, errno);
    }
  }
  pending.registration = std::make_unique<RegisteredTemporaryFile>(pending.temporary);
  FileDescriptor file(fd);
  int error_number = posix::write_all(file.get(), *pending.contents);
  if (error_number == 0 && destination.exists &&
      ::fchown(file.get(), destination.owner, destination.group) != 0) {
    const int chown_error = errno;
    throw Error("cannot write " + pending.shown + ": it belongs to another user or group, which " +
                "its replacement could not keep (" + posix::reason(chown_error) + ")");
  }
  // After the chown, which clears the set-user and set-group bits.
  if (error_number == 0 && destination.exists && ::fchmod(file.get(), destination.mode) != 0) {
    error_number = errno;
  }
  if (error_number == 0 && ::fsync(file.get()) != 0) error_number = errno;
  const int close_error = file.close_now();
  if (error_number == 0) error_number = close_error;
  if (error_number != 0) fail(pending.shown, error_number);
}

// Removes every temporary file still pending (after a failure).
void remove_temporaries(std::vector<Pending>& pending) {
  for (Pending& output : pending) {
    if (!output.temporary.empty()) ::unlink(output.temporary.c_str());
    output.temporary.clear();
    output.registration.reset();
  }
}

}  // namespace

void OutputSet::add(std::string path, std::string contents, std::string what) {
  outputs_.push_back({std::move(path), std::move(contents), std::move(what)});
}

void OutputSet::add_standard_output(std::string contents, std::string what) {
  add("-", std::move(contents), std::move(what));
}

void OutputSet::commit() {
  std::vector<Output> outputs = std::move(outputs_);
  outputs_.clear();
  std::vector<Pending> pending(outputs.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    pending[i].shown = outputs[i].path == "-" ? "standard output" : outputs[i].path;
    pending[i].what = outputs[i].what.empty() ? pending[i].shown : outputs[i].what;
    pending[i].contents = &outputs[i].contents;
    pending[i].destination = resolve(outputs[i].path, pending[i].shown);
    for (std::size_t j = 0; j < i; ++j) {
      const Destination& earlier = pending[j].destination;
      if (earlier.identity != pending[i].destination.identity || earlier.shareable) continue;
      throw Error(pending[j].what + " and " + pending[i].what + " both write " +
                  pending[i].shown + ": give each its own file");
    }
  }
  try {
    for (Pending& output : pending) {
      if (output.destination.kind == Kind::File) write_temporary(output);
    }
    for (Pending& output : pending) {
      if (output.destination.kind != Kind::Stream) continue;
      output.stream = FileDescriptor(
          ::open(output.destination.target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
      if (output.stream.get() < 0) fail(output.shown, errno);
    }
    for (Pending& output : pending) {
      const Kind kind = output.destination.kind;
      if (kind == Kind::File) continue;
      if (kind == Kind::Descriptor) {  // what was printed before comes first
        std::cout.flush();
        std::fflush(stdout);
      }
      const int fd = kind == Kind::Descriptor ? output.destination.descriptor : output.stream.get();
      if (const int error_number = posix::write_all(fd, *output.contents); error_number != 0) {
        fail(output.shown, error_number);
      }
      if (const int error_number = output.stream.close_now(); error_number != 0) {
        fail(output.shown, error_number);
      }
    }
  } catch (...) {
    remove_temporaries(pending);
    throw;
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    Pending& output = pending[i];
    if (output.destination.kind != Kind::File) continue;
    if (std::rename(output.temporary.c_str(), output.destination.target.c_str()) != 0) {
      const int error_number = errno;
      remove_temporaries(pending);
      for (std::size_t j = 0; j < i; ++j) {  // the files this commit created, not those it replaced
        if (pending[j].destination.kind == Kind::File && !pending[j].destination.exists) {
          ::unlink(pending[j].destination.target.c_str());
        }
      }
      fail(output.shown, error_number);
    }
    output.temporary.clear();
    output.registration.reset();
  }
  // Make the renames durable; the files are already complete and in place, so a directory
  // that cannot be synced (some file systems refuse) is not an error.
  for (const Pending& output : pending) {
    if (output.destination.kind != Kind::File) continue;
    const int directory = ::open(directory_of(output.destination.target).c_str(),
                                 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory >= 0) {
      ::fsync(directory);
      ::close(directory);
    }
  }
}

bool leads_to_standard_output(const std::string& path) {
  const Destination destination = resolve(path, path == "-" ? "standard output" : path);
  return destination.identity == descriptor_destination(1).identity;
}

void flush_standard_output() {
  errno = 0;
  std::cout.flush();
  const bool stream_failed = !std::cout.good();
  int error_number = errno;
  if (std::fflush(stdout) != 0 && error_number == 0) error_number = errno;
  if (stream_failed || std::ferror(stdout)) {
    throw Error("cannot write standard output: " + posix::reason(error_number != 0 ? error_number : EIO));
  }
}

}  // namespace pipewise
