// Specification of write_file_atomically and read_file: whole files or nothing, no
// temporary left behind, and one-line errors naming the path and the system's reason.
#include "common/io/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/ir/error.hpp"

namespace pipewise {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test, removed with everything in it afterwards.
class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "pipewise-atomic-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    fs::permissions(directory_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(directory_);
  }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }
  // The message `action` throws as pipewise::Error, or "" when it does not throw.
  template <class Action>
  static std::string error_of(Action&& action) {
    try {
      action();
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  }

  fs::path directory_;
};

TEST_F(AtomicFileTest, WritesTheContentsAndLeavesOnlyTheFile) {
  const std::string contents("line one\nline two\n\0binary", 25);
  write_file_atomically(path("out.json"), contents);
  EXPECT_EQ(read_file(path("out.json")), contents);
  EXPECT_EQ(entries(), std::vector<std::string>{"out.json"});
}

TEST_F(AtomicFileTest, ReplacesAnExistingFileWhole) {
  write_file_atomically(path("out.json"), std::string(100000, 'a'));
  write_file_atomically(path("out.json"), "short");
  EXPECT_EQ(read_file(path("out.json")), "short");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.json"});
}

TEST_F(AtomicFileTest, WritesAnEmptyFile) {
  write_file_atomically(path("empty"), "");
  EXPECT_EQ(read_file(path("empty")), "");
}

TEST_F(AtomicFileTest, NewFilesGetTheUsualPermissions) {
  // 0666 minus the umask, as for any file a program creates (not mkstemp's 0600).
  const mode_t mask = ::umask(022);
  write_file_atomically(path("out"), "x");
  ::umask(mask);
  EXPECT_EQ(fs::status(path("out")).permissions(), fs::perms::owner_read | fs::perms::owner_write |
                                                       fs::perms::group_read |
                                                       fs::perms::others_read);
}

TEST_F(AtomicFileTest, AMissingDirectoryIsAnErrorThatNamesThePath) {
  const std::string target = path("no/such/dir/out.json");
  EXPECT_EQ(error_of([&] { write_file_atomically(target, "x"); }),
            "cannot write " + target + ": No such file or directory");
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, WritingOverADirectoryFailsAndLeavesNoTemporaryFile) {
  fs::create_directory(path("taken"));
  EXPECT_EQ(error_of([&] { write_file_atomically(path("taken"), "x"); }),
            "cannot write " + path("taken") + ": Is a directory");
  EXPECT_EQ(entries(), std::vector<std::string>{"taken"});
}

TEST_F(AtomicFileTest, AnUnwritableDirectoryIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::permissions(directory_, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_EQ(error_of([&] { write_file_atomically(path("out"), "x"); }),
            "cannot write " + path("out") + ": Permission denied");
}

TEST_F(AtomicFileTest, ReadingAMissingFileOrADirectoryNamesThePathAndReason) {
  EXPECT_EQ(error_of([&] { read_file(path("missing.json")); }),
            "cannot read " + path("missing.json") + ": No such file or directory");
  EXPECT_EQ(error_of([&] { read_file(directory_.string()); }),
            "cannot read " + directory_.string() + ": Is a directory");
}

}  // namespace
}  // namespace pipewise
