// Specification of OutputSet (issue 13: every output writer renamed its temporary file over
// the path, turning /dev/full and FIFOs into regular files and links into copies; a failed
// command left the outputs it had written). Every special file here is one the test makes
// in its own temporary directory: no test touches the machine's /dev.
#include "common/io/output_set.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/io/atomic_file.hpp"
#include "common/ir/error.hpp"

namespace pipewise {
namespace {

namespace fs = std::filesystem;

class OutputSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "pipewise-output-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
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

TEST_F(OutputSetTest, ASymbolicLinkIsFollowedAndStaysALink) {
  write_file_atomically(path("real.svg"), "old");
  fs::create_symlink("real.svg", path("link.svg"));
  write_file_atomically(path("link.svg"), "new");
  EXPECT_TRUE(fs::is_symlink(path("link.svg")));
  EXPECT_EQ(read_file(path("real.svg")), "new");
  EXPECT_EQ(entries(), (std::vector<std::string>{"link.svg", "real.svg"}));
}

TEST_F(OutputSetTest, AChainOfLinksAndADanglingLinkLeadToTheirTarget) {
  fs::create_directory(path("sub"));
  fs::create_symlink("sub/second", path("first"));  // relative to the link's directory
  fs::create_symlink(path("sub/target"), path("sub/second"));
  write_file_atomically(path("first"), "through two links");
  EXPECT_TRUE(fs::is_symlink(path("first")));
  EXPECT_TRUE(fs::is_symlink(path("sub/second")));
  EXPECT_EQ(read_file(path("sub/target")), "through two links");  // created, as `>` would
}

TEST_F(OutputSetTest, ALoopOfLinksIsAnError) {
  fs::create_symlink("b", path("a"));
  fs::create_symlink("a", path("b"));
  EXPECT_EQ(error_of([&] { write_file_atomically(path("a"), "x"); }),
            "cannot write " + path("a") + ": Too many levels of symbolic links");
}

TEST_F(OutputSetTest, AFifoIsWrittenThroughNotReplaced) {
  ASSERT_EQ(::mkfifo(path("pipe").c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = read_file(path("pipe")); });
  write_file_atomically(path("pipe"), "through the pipe");
  reader.join();
  EXPECT_EQ(received, "through the pipe");
  struct stat status {};
  ASSERT_EQ(::lstat(path("pipe").c_str(), &status), 0);
  EXPECT_TRUE(S_ISFIFO(status.st_mode));
  EXPECT_EQ(entries(), std::vector<std::string>{"pipe"});
}

TEST_F(OutputSetTest, ACharacterDeviceIsWrittenThroughNotReplaced) {
  // A null device of our own (1:3, as /dev/null): needs the right to make device nodes and
  // a file system that honours them, so the test skips itself elsewhere.
  if (::mknod(path("null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot make a device node here";
  }
  const int probe = ::open(path("null").c_str(), O_WRONLY);
  if (probe < 0) GTEST_SKIP() << "device nodes cannot be opened on this file system";
  ::close(probe);
  write_file_atomically(path("null"), "discarded");
  struct stat status {};
  ASSERT_EQ(::lstat(path("null").c_str(), &status), 0);
  EXPECT_TRUE(S_ISCHR(status.st_mode));  // was: a regular file holding "discarded"
  EXPECT_EQ(entries(), std::vector<std::string>{"null"});
}

TEST_F(OutputSetTest, ADescriptorOfThisProcessIsWrittenThrough) {
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  write_file_atomically("/proc/self/fd/" + std::to_string(ends[1]), "to the descriptor");
  ::close(ends[1]);
  char buffer[64] = {};
  const ssize_t got = ::read(ends[0], buffer, sizeof buffer);
  ::close(ends[0]);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(got, 0))),
            "to the descriptor");
}

TEST_F(OutputSetTest, ASocketIsRefusedAndLeftAlone) {
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string socket_path = path("socket");
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  socket_path.copy(address.sun_path, socket_path.size());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(error_of([&] { write_file_atomically(socket_path, "x"); }),
            "cannot write " + socket_path +
                ": it is a socket (pipewise writes regular files, character devices, pipes and -)");
  ::close(listener);
  EXPECT_TRUE(fs::is_socket(socket_path));
}

TEST_F(OutputSetTest, OneFailingOutputLeavesNoOutputFile) {
  OutputSet outputs;
  outputs.add(path("t.json"), "trace", "--trace");
  outputs.add(path("no/dir/t.svg"), "svg", "--svg");
  EXPECT_EQ(error_of([&] { outputs.commit(); }),
            "cannot write " + path("no/dir/t.svg") + ": No such file or directory");
  EXPECT_TRUE(entries().empty());  // neither t.json nor a temporary file
}

TEST_F(OutputSetTest, TwoOutputsLeadingToOneFileAreRefusedAndWriteNothing) {
  fs::create_symlink("t.json", path("alias.json"));
  OutputSet outputs;
  outputs.add(path("t.json"), "trace", "--trace");
  outputs.add(path("alias.json"), "svg", "--svg");
  EXPECT_EQ(error_of([&] { outputs.commit(); }),
            "--trace and --svg both write " + path("alias.json") + ": give each its own file");
  EXPECT_EQ(entries(), std::vector<std::string>{"alias.json"});
}

TEST_F(OutputSetTest, EveryOutputIsWrittenWhenAllCan) {
  OutputSet outputs;
  outputs.add(path("a"), "first", "--trace");
  outputs.add(path("b"), "second", "--svg");
  outputs.commit();
  EXPECT_EQ(read_file(path("a")), "first");
  EXPECT_EQ(read_file(path("b")), "second");
  EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(OutputSetTest, AReplacedFileKeepsItsPermissions) {
  write_file_atomically(path("private"), "old");
  fs::permissions(path("private"), fs::perms::owner_read | fs::perms::owner_write);
  write_file_atomically(path("private"), "new");
  EXPECT_EQ(fs::status(path("private")).permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_file(path("private")), "new");
}

TEST_F(OutputSetTest, AFileWithOtherHardLinksIsRefusedAndLeftWhole) {
  write_file_atomically(path("one"), "old");
  fs::create_hard_link(path("one"), path("two"));
  // A rename would give "two" the new contents and leave "one" the old: two files.
  EXPECT_EQ(error_of([&] { write_file_atomically(path("two"), "new"); }),
            "cannot write " + path("two") + ": it has 2 hard links, which replacing it would "
            "split apart (remove the other links or write to a new file)");
  EXPECT_EQ(fs::hard_link_count(path("one")), 2u);
  EXPECT_EQ(read_file(path("one")), "old");
  EXPECT_EQ(entries(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(OutputSetTest, AReplacedFileKeepsItsOwnerAndGroup) {
  write_file_atomically(path("theirs"), "old");
  // Only root can give a file away; elsewhere the owner is this process's, which any
  // replacement keeps.
  if (::chown(path("theirs").c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "cannot give a file to another user here";
  }
  write_file_atomically(path("theirs"), "new");
  struct stat status {};
  ASSERT_EQ(::stat(path("theirs").c_str(), &status), 0);
  EXPECT_EQ(status.st_uid, 65534u);
  EXPECT_EQ(status.st_gid, 65534u);
  EXPECT_EQ(read_file(path("theirs")), "new");
}

TEST_F(OutputSetTest, AKernelInterfaceIsRefused) {
  EXPECT_EQ(error_of([&] { write_file_atomically("/proc/self/comm", "x"); }),
            "cannot write /proc/self/comm: a kernel interface under /proc or /sys (pipewise "
            "writes regular files, character devices, pipes and -)");
}

TEST_F(OutputSetTest, ReadingStopsPastItsLimitWithAClearMessage) {
  write_file_atomically(path("big"), std::string(100, 'x'));
  EXPECT_EQ(error_of([&] { read_file(path("big"), 2048); }), "");
  EXPECT_EQ(error_of([&] { read_file(path("big"), 10); }),
            "cannot read " + path("big") + ": it holds more than 10 bytes, the most pipewise "
            "reads from one file");
  // A stream that never ends (as /dev/zero) stops at the limit too.
  ASSERT_EQ(::mkfifo(path("endless").c_str(), 0600), 0);
  const auto previous = std::signal(SIGPIPE, SIG_IGN);  // the writer outlives the reader
  std::thread writer([&] {
    const int fd = ::open(path("endless").c_str(), O_WRONLY);
    const std::string chunk(4096, '\0');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    ::close(fd);
  });
  EXPECT_EQ(error_of([&] { read_file(path("endless"), std::uint64_t{1} << 20); }),
            "cannot read " + path("endless") + ": it holds more than 1 MiB, the most pipewise "
            "reads from one file");
  writer.join();
  std::signal(SIGPIPE, previous);
}

}  // namespace
}  // namespace pipewise
