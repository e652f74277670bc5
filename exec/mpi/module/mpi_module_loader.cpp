#include "exec/mpi/module/mpi_module_loader.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace pipewise::exec::mpi {
namespace {

std::string dl_failure(const std::string& path) {
  const char* text = dlerror();
  std::string reason = text != nullptr ? text : "unknown dlopen failure";
  if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
  for (char& c : reason) {
    if (c == '\n') c = ' ';
  }
  return reason;
}

MpiModuleLoad failure(const std::string& path, const std::string& reason) {
  return {nullptr, "cannot load the MPI module " + path + ": " + reason};
}

const char* variable(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

std::uint32_t launched_world_size() {
  // Open MPI's mpirun; MPICH's and Intel MPI's Hydra, and Slurm's srun with PMI-2; srun with
  // PMIx (which marks a rank with PMIX_RANK and leaves the size to Slurm).
  const bool pmix = variable("PMIX_RANK") != nullptr;
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", pmix ? "SLURM_STEP_NUM_TASKS" : ""}) {
    if (*name == '\0') continue;
    if (const char* value = variable(name)) {
      char* end = nullptr;
      const unsigned long size = std::strtoul(value, &end, 10);
      if (end != value && *end == '\0' && size > 0 && size < (1ul << 24)) {
        return static_cast<std::uint32_t>(size);
      }
    }
  }
  return 0;
}

std::string mpi_module_path() {
  if (const char* override_path = variable("PIPEWISE_MPI_MODULE")) return override_path;
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return kMpiModuleFileName;
  return (executable.parent_path() / kMpiModuleFileName).string();
}

MpiModuleLoad load_mpi_module(const std::string& path) {
  std::error_code error;
  if (path.find('/') != std::string::npos && !std::filesystem::exists(path, error)) {
    return failure(path, "no such file");
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return failure(path, dl_failure(path));
  const auto entry = reinterpret_cast<MpiModuleEntry>(dlsym(handle, kMpiModuleEntryName));
  const MpiModule* module = entry != nullptr ? entry() : nullptr;
  std::string problem;
  if (entry == nullptr) {
    problem = std::string("it is not a pipewise MPI module (it has no symbol ") +
              kMpiModuleEntryName + ")";
  } else if (module == nullptr || module->abi_version != kMpiModuleAbiVersion) {
    problem = "it was built for MPI module interface version " +
              (module != nullptr ? std::to_string(module->abi_version) : std::string("?")) +
              ", this pipewise needs version " + std::to_string(kMpiModuleAbiVersion) +
              " (build the module with this pipewise)";
  } else if (module->layout != mpi_module_layout()) {
    problem = "it was built from other headers than this pipewise (its types' layout differs; "
              "build the module with this pipewise)";
  }
  if (problem.empty()) return {module, {}};
  dlclose(handle);
  return failure(path, problem);
}

MpiModuleLoad load_mpi_module() {
  if (!PIPEWISE_BUILT_MPI_MODULE && variable("PIPEWISE_MPI_MODULE") == nullptr) {
    return {nullptr,
            "pipewise was built without MPI (no MPI found when it was configured; install "
            "libopenmpi-dev and reconfigure): it has no MPI module"};
  }
  return load_mpi_module(mpi_module_path());
}

}  // namespace pipewise::exec::mpi
