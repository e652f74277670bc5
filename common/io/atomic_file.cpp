#include "common/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>

#include "common/io/output_set.hpp"
#include "common/io/posix_file.hpp"
#include "common/ir/error.hpp"

namespace pipewise {
namespace {

[[noreturn]] void throw_read_error(const std::string& path, const std::string& why) {
  throw Error("cannot read " + path + ": " + why);
}

// "1.00 GiB" without pulling in the text library: the limits are whole MiB or GiB.
std::string limit_text(std::uint64_t bytes) {
  if (bytes % (std::uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes % (std::uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  OutputSet output;
  output.add(path, std::string(contents));
  output.commit();
}

std::string read_file(const std::string& path, std::uint64_t most_bytes) {
  const bool standard_input = path == "-";
  const std::string shown = standard_input ? "standard input" : path;
  posix::FileDescriptor owned(standard_input ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!standard_input && owned.get() < 0) throw_read_error(shown, posix::reason(errno));
  const int fd = standard_input ? 0 : owned.get();
  const std::string too_large =
      "it holds more than " + limit_text(most_bytes) + ", the most pipewise reads from one file";
  std::string contents;
  try {
    struct stat status {};
    if (::fstat(fd, &status) == 0 && S_ISREG(status.st_mode)) {
      if (static_cast<std::uint64_t>(status.st_size) > most_bytes) throw_read_error(shown, too_large);
      contents.reserve(static_cast<std::size_t>(status.st_size));
    }
    char buffer[1 << 16];
    while (true) {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got < 0) {
        if (errno == EINTR) continue;
        throw_read_error(shown, posix::reason(errno));
      }
      if (got == 0) break;
      if (contents.size() + static_cast<std::size_t>(got) > most_bytes) {
        throw_read_error(shown, too_large);
      }
      contents.append(buffer, static_cast<std::size_t>(got));
    }
  } catch (const std::bad_alloc&) {
    throw_read_error(shown, "not enough memory to hold it (" + std::to_string(contents.size()) +
                                " bytes read so far)");
  }
  return contents;
}

}  // namespace pipewise
