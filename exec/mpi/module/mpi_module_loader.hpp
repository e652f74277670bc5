#pragma once
#include <cstdint>
#include <string>

#include "exec/core/module_loader.hpp"
#include "exec/mpi/module/mpi_module.hpp"

namespace pipewise::exec::mpi {

// How many ranks the MPI launcher that started this process started in all, read from the
// environment it sets (Open MPI's OMPI_COMM_WORLD_SIZE; PMI_SIZE of MPICH's and Intel MPI's
// Hydra and of Slurm's srun with PMI-2; SLURM_STEP_NUM_TASKS with PMIx); 0 when no launcher
// started this process. Cheap: loads nothing.
std::uint32_t launched_world_size();

// The MPI module as the generic loader (exec/core/module_loader.hpp) knows it:
// $PIPEWISE_MPI_MODULE, else kMpiModuleFileName next to the executable.
const ModuleSpec& mpi_module_spec();

// Where the MPI module is looked for (module_path).
std::string mpi_module_path();

// A loaded MPI module, or why there is none.
using MpiModuleLoad = ModuleLoad<MpiModule>;

// Loads the MPI module at `path` and checks its interface version and layout (load_module);
// errors are one line each, "cannot load the MPI module PATH: ...". A module that passed
// stays loaded for the life of the process. In a build without MPI (none found when it was
// configured) and without $PIPEWISE_MPI_MODULE, the error says so.
MpiModuleLoad load_mpi_module(const std::string& path);
MpiModuleLoad load_mpi_module();

}  // namespace pipewise::exec::mpi
