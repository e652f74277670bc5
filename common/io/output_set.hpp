#pragma once
// A command's outputs, written all or nothing. A command adds everything it will write (its
// report, an SVG, a trace, a converted schedule) and commits once, after all its work is
// done: when any output cannot be written, no output file is left behind and the error
// names the one that failed.
//
// Where a path leads decides how it is written:
//  - "-", /dev/stdout and /dev/fd/1 (or /proc/self/fd/1): standard output; /dev/stderr and
//    /dev/fd/2 standard error; /dev/fd/N another open descriptor. Written through.
//  - A symbolic link: followed (up to 40 links) to the file it names, and that file is
//    written as below, so the link stays a link.
//  - A regular file, or a path that does not exist yet: written to a temporary file in its
//    directory, flushed to disk and renamed over it, so a reader sees the old file or the
//    whole new one; a file that existed keeps its permission bits, owner and group (one
//    whose owner this process cannot give the replacement is refused). A file with other
//    hard links is refused: the rename would leave them holding the old contents.
//  - A character device or a FIFO (a terminal, /dev/null, a named pipe): opened and written
//    through, never replaced.
//  - Anything else (a directory, a block device, a socket, a path under /proc or /sys that
//    names no open descriptor): refused, "cannot write PATH: REASON".
//
// commit() order: every temporary file is written first (where a full disk, a missing
// directory or a permission shows), then the written-through outputs in the order they were
// added, then the renames. A failure before the renames removes every temporary file, so no
// new file appears; bytes already written through (to a terminal or a pipe) cannot be taken
// back. A rename that fails (rare: the directory changed meanwhile) removes the temporary
// files left and the files this commit created; files it replaced stay replaced.
#include <string>
#include <vector>

namespace pipewise {

class OutputSet {
 public:
  // Adds `contents` for `path`. `what` names the output in messages (e.g. "--svg"); when
  // empty, the path alone is named.
  void add(std::string path, std::string contents, std::string what = {});
  // Adds `contents` for standard output (the same as path "-").
  void add_standard_output(std::string contents, std::string what = {});

  // Whether anything was added.
  bool empty() const { return outputs_.empty(); }

  // Writes every output as described above, then forgets them. Throws pipewise::Error with
  // one line naming the output that failed ("cannot write PATH: REASON", "cannot write
  // standard output: REASON"), or naming two outputs that lead to the same file or stream
  // ("--trace and --svg both write t.json: give each its own file"); nothing is written
  // then.
  void commit();

 private:
  struct Output {
    std::string path;  // as given; "-" for standard output
    std::string contents;
    std::string what;
  };
  std::vector<Output> outputs_;
};

// Whether `path` leads to this process's standard output ("-", /dev/stdout, or the file
// standard output was redirected to), by the rules above. Throws as commit() would for a
// path it cannot write.
bool leads_to_standard_output(const std::string& path);

// Flushes std::cout and C's stdout, and throws pipewise::Error "cannot write standard
// output: REASON" when either has failed (a full disk, a closed descriptor): what a command
// printed must have arrived for it to succeed.
void flush_standard_output();

}  // namespace pipewise
