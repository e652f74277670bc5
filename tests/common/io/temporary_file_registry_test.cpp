// A signal that ends the process while write_file_atomically writes its temporary file
// removes that file (common/io/temporary_file_registry.hpp). The signal is raised in a
// child process (a GoogleTest death test); the parent then looks at the directory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/io/temporary_file_registry.hpp"

namespace pipewise {
namespace {

namespace fs = std::filesystem;

class TemporaryFileRegistry : public ::testing::Test {
 protected:
  TemporaryFileRegistry()
      : directory_(fs::temp_directory_path() /
                   ("pipewise-registry-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(directory_);
  }
  ~TemporaryFileRegistry() override { fs::remove_all(directory_); }

  std::string make_file(const std::string& name) const {
    const fs::path path = directory_ / name;
    std::ofstream(path) << "partial";
    return path.string();
  }

  fs::path directory_;
};

TEST_F(TemporaryFileRegistry, ASignalRemovesTheFilesBeingWrittenAndEndsTheProcessAsItWould) {
  const std::string being_written = make_file("out.svg.tmp.1");
  const std::string finished = make_file("done.svg.tmp.2");
  const std::string untouched = make_file("other.txt");
  EXPECT_EXIT(
      {
        remove_temporary_files_on_signals();
        { const RegisteredTemporaryFile done(finished); }  // written and renamed: released
        const RegisteredTemporaryFile writing(being_written);
        if (!writing.registered()) std::_Exit(3);
        std::raise(SIGTERM);
        std::_Exit(4);  // not reached: the default action of SIGTERM ends the process
      },
      ::testing::KilledBySignal(SIGTERM), "");
  EXPECT_FALSE(fs::exists(being_written));
  EXPECT_TRUE(fs::exists(finished));
  EXPECT_TRUE(fs::exists(untouched));
}

TEST_F(TemporaryFileRegistry, ASignalTheProcessIgnoredStaysIgnored) {
  const std::string being_written = make_file("out.json.tmp.1");
  EXPECT_EXIT(
      {
        std::signal(SIGHUP, SIG_IGN);  // as under nohup
        remove_temporary_files_on_signals();
        const RegisteredTemporaryFile writing(being_written);
        std::raise(SIGHUP);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_TRUE(fs::exists(being_written));
}

TEST(RegisteredTemporaryFile, APathTooLongForTheHandlerIsNotRegistered) {
  const RegisteredTemporaryFile long_path(std::string(5000, 'a'));
  EXPECT_FALSE(long_path.registered());
  const RegisteredTemporaryFile short_path("/tmp/x.tmp");
  EXPECT_TRUE(short_path.registered());
}

}  // namespace
}  // namespace pipewise
