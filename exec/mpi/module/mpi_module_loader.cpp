#include "exec/mpi/module/mpi_module_loader.hpp"

#include <cstdlib>

namespace pipewise::exec::mpi {
namespace {

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

const ModuleSpec& mpi_module_spec() {
  static const ModuleSpec kSpec{"MPI", "PIPEWISE_MPI_MODULE", kMpiModuleFileName, kMpiModuleEntryName,
                                kMpiModuleAbiVersion};
  return kSpec;
}

std::string mpi_module_path() { return module_path(mpi_module_spec()); }

MpiModuleLoad load_mpi_module(const std::string& path) {
  return load_module<MpiModule>(mpi_module_spec(), path, [](const MpiModule& module) {
    return module.layout == mpi_module_layout();
  });
}

MpiModuleLoad load_mpi_module() {
  if (!PIPEWISE_BUILT_MPI_MODULE && module_path_override(mpi_module_spec()) == nullptr) {
    return {nullptr,
            "pipewise was built without MPI (no MPI found when it was configured; install "
            "libopenmpi-dev and reconfigure): it has no MPI module"};
  }
  return load_mpi_module(mpi_module_path());
}

}  // namespace pipewise::exec::mpi
