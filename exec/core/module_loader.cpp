#include "exec/core/module_loader.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace pipewise::exec {
namespace {

// dlerror's text as one line, without the "PATH: " it starts with when the problem is
// the module file itself (the caller names the path already).
std::string dl_failure(const std::string& path) {
  const char* text = dlerror();
  std::string reason = text != nullptr ? text : "unknown dlopen failure";
  if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
  for (char& c : reason) {
    if (c == '\n') c = ' ';
  }
  return reason;
}

std::string failure(const ModuleSpec& spec, const std::string& path, const std::string& reason) {
  return "cannot load the " + std::string(spec.kind) + " module " + path + ": " + reason;
}

}  // namespace

const char* module_path_override(const ModuleSpec& spec) {
  const char* value = std::getenv(std::string(spec.path_variable).c_str());
  return value != nullptr && *value != '\0' ? value : nullptr;
}

std::string module_path(const ModuleSpec& spec) {
  if (const char* override_path = module_path_override(spec)) return override_path;
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return std::string(spec.file_name);
  return (executable.parent_path() / spec.file_name).string();
}

ModuleSymbol open_module(const ModuleSpec& spec, const std::string& path) {
  std::error_code error;
  if (path.find('/') != std::string::npos && !std::filesystem::exists(path, error)) {
    return {nullptr, nullptr, failure(spec, path, "no such file")};
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return {nullptr, nullptr, failure(spec, path, dl_failure(path))};
  void* address = dlsym(handle, std::string(spec.entry_name).c_str());
  if (address == nullptr) {
    dlclose(handle);
    return {nullptr, nullptr,
            failure(spec, path,
                    "it is not a pipewise " + std::string(spec.kind) + " module (it has no symbol " +
                        std::string(spec.entry_name) + ")")};
  }
  return {handle, address, {}};
}

std::string module_problem(const ModuleSpec& spec, const std::string& path, const ModuleSymbol& symbol,
                           const std::uint32_t* found_version, bool layout_matches) {
  std::string problem;
  if (found_version == nullptr || *found_version != spec.abi_version) {
    problem = "it was built for " + std::string(spec.kind) + " module interface version " +
              (found_version != nullptr ? std::to_string(*found_version) : std::string("?")) +
              ", this pipewise needs version " + std::to_string(spec.abi_version) +
              " (build the module with this pipewise)";
  } else if (!layout_matches) {
    problem = "it was built from other headers than this pipewise (its types' layout differs; "
              "build the module with this pipewise)";
  }
  if (problem.empty()) return {};
  dlclose(symbol.handle);
  return failure(spec, path, problem);
}

}  // namespace pipewise::exec
