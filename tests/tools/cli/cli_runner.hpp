#pragma once
// Running the real `pipewise` binary from the end-to-end tests: its exit status, stdout and
// stderr, each captured whole, and scratch directories for its files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace pipewise::tools::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A directory removed with everything in it when the test ends.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pipewise-tools-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& contents) const {
    std::ofstream(file(name), std::ios::binary) << contents;
    return file(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_whole_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream contents;
  contents << stream.rdbuf();
  return contents.str();
}

// Runs `pipewise ARGUMENTS` through the shell (the caller quotes what needs quoting), with
// stdout and stderr redirected to files (never a terminal) and stdin empty.
inline CliResult run_pipewise(const std::string& arguments) {
  const ScratchDirectory capture;
  const std::string command = std::string("'") + PIPEWISE_BINARY + "' " + arguments + " >'" +
                              capture.file("out") + "' 2>'" + capture.file("err") + "' </dev/null";
  const int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_whole_file(capture.file("out"));
  result.err = read_whole_file(capture.file("err"));
  return result;
}

// The number of '\n'-terminated lines in `text`.
inline std::size_t line_count(const std::string& text) {
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n';
  return lines;
}

// A command line the CLI must refuse: a test name, the arguments, and part of the one line
// it must print.
struct Refusal {
  const char* name;
  const char* arguments;
  const char* message;
};

// Runs refusal.arguments and checks the refusal: exit 1, one line on stderr holding
// refusal.message, nothing on stdout.
inline void expect_refused(const Refusal& refusal) {
  const CliResult result = run_pipewise(refusal.arguments);
  EXPECT_EQ(result.exit_code, 1) << refusal.arguments;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_NE(result.err.find(refusal.message), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "") << refusal.arguments;
}

}  // namespace pipewise::tools::testing
