#pragma once
#include <string>
#include <string_view>

namespace pipewise {

// Writes `contents` to `path` whole or not at all: the bytes go to a new temporary file in
// the same directory, which is flushed to disk (fsync) and then renamed over `path`, so a
// reader sees either the old file or the complete new one, never a partial write. The new
// file gets the usual permissions (0666 minus the umask). On failure the temporary file is
// removed, `path` is untouched, and pipewise::Error says "cannot write PATH: REASON" with
// the system's reason (e.g. "No such file or directory"). A process that called
// remove_temporary_files_on_signals (common/io/temporary_file_registry.hpp) also removes it
// when SIGINT, SIGTERM or SIGHUP ends the process mid-write.
void write_file_atomically(const std::string& path, std::string_view contents);

// The whole contents of the file at `path`. Throws pipewise::Error
// "cannot read PATH: REASON" when it cannot be opened or read (missing file, directory,
// permission denied).
std::string read_file(const std::string& path);

}  // namespace pipewise
