#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace pipewise {

// Writes `contents` to `path` whole or not at all: a regular file (or a new one) is written
// to a temporary file in the same directory, flushed to disk (fsync) and renamed over it,
// so a reader sees either the old file or the complete new one, never a partial write; a
// symbolic link is followed to the file it names; "-", /dev/stdout, a character device or a
// FIFO is written through, never replaced; anything else is refused (output_set.hpp, which
// this is the one-output case of). A new file gets the usual permissions (0666 minus the
// umask), a replaced one keeps its own. On failure the temporary file is removed, `path`
// is untouched, and pipewise::Error says "cannot write PATH: REASON" with the system's
// reason (e.g. "No such file or directory"). A process that called
// remove_temporary_files_on_signals (common/io/temporary_file_registry.hpp) also removes it
// when SIGINT, SIGTERM or SIGHUP ends the process mid-write.
void write_file_atomically(const std::string& path, std::string_view contents);

// The most bytes read_file reads from one file unless told otherwise: schedule files of
// tens of millions of ops fit; /dev/zero does not.
inline constexpr std::uint64_t kMostInputBytes = std::uint64_t{1} << 30;
// The most for the JSON description files (models, layer lists, cost files), which are
// parsed into a document tree many times their size.
inline constexpr std::uint64_t kMostJsonInputBytes = std::uint64_t{64} << 20;

// The whole contents of the file at `path` ("-" reads standard input). Throws
// pipewise::Error "cannot read PATH: REASON" when it cannot be opened or read (missing file,
// directory, permission denied), when it holds more than `most_bytes` ("it holds more than
// 1.00 GiB, the most pipewise reads from one file"), or when memory runs out.
std::string read_file(const std::string& path, std::uint64_t most_bytes = kMostInputBytes);

}  // namespace pipewise
