// The generic module loader (exec/core/module_loader.hpp) names the module's kind and path
// in every error, finds the module next to the executable unless the spec's environment
// variable names another, and refuses what is no shared object. (The CUDA loader's tests,
// tests/exec/cuda/module, load real stand-in modules through it: version and layout.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "exec/core/module_loader.hpp"

namespace pipewise::exec {
namespace {

struct FakeModule {
  std::uint32_t abi_version = 0;
  std::uint64_t layout = 0;
};

const ModuleSpec kSpec{"Fake", "PIPEWISE_FAKE_TEST_MODULE", "libpipewise_fake.so", "pipewise_fake_module", 1};

ModuleLoad<FakeModule> load(const std::string& path) {
  return load_module<FakeModule>(kSpec, path, [](const FakeModule&) { return true; });
}

TEST(ModuleLoader, TheModuleIsLookedForNextToTheExecutableUnlessTheVariableNamesOne) {
  ::unsetenv("PIPEWISE_FAKE_TEST_MODULE");
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(module_path(kSpec), (executable.parent_path() / "libpipewise_fake.so").string());
  EXPECT_EQ(module_path_override(kSpec), nullptr);
  ::setenv("PIPEWISE_FAKE_TEST_MODULE", "", 1);  // empty: as if unset
  EXPECT_EQ(module_path_override(kSpec), nullptr);
  ::setenv("PIPEWISE_FAKE_TEST_MODULE", "/opt/elsewhere/libfake.so", 1);
  EXPECT_EQ(module_path(kSpec), "/opt/elsewhere/libfake.so");
  ::unsetenv("PIPEWISE_FAKE_TEST_MODULE");
}

TEST(ModuleLoader, AMissingFileIsNamedWithTheModulesKind) {
  const ModuleLoad<FakeModule> loaded = load("/nonexistent/libpipewise_fake.so");
  EXPECT_EQ(loaded.module, nullptr);
  EXPECT_EQ(loaded.error, "cannot load the Fake module /nonexistent/libpipewise_fake.so: no such file");
}

TEST(ModuleLoader, AFileThatIsNoSharedObjectIsRefusedInOneLine) {
  const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) / "pipewise_not_a_module.so";
  std::ofstream(path) << "not an ELF file\n";
  const ModuleLoad<FakeModule> loaded = load(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(loaded.module, nullptr);
  EXPECT_EQ(loaded.error.rfind("cannot load the Fake module " + path.string() + ": ", 0), 0u) << loaded.error;
  EXPECT_EQ(loaded.error.find('\n'), std::string::npos) << loaded.error;
}

}  // namespace
}  // namespace pipewise::exec
