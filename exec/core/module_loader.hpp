#pragma once
// Loading a backend module: a shared library that `pipewise` opens with dlopen only when a
// run needs it (the CUDA backend, the MPI transport), so that the binary links neither
// library and starts without them. One loader for every module: where it is looked for,
// the dlopen, the entry symbol, and the checks that it was built from these headers.
#include <cstdint>
#include <string>
#include <string_view>

namespace pipewise::exec {

// What tells one module from another.
struct ModuleSpec {
  std::string_view kind;           // "CUDA", "MPI": in every message
  std::string_view path_variable;  // the environment variable that overrides the path
  std::string_view file_name;      // e.g. "libpipewise_cuda.so", next to the executable
  std::string_view entry_name;     // the symbol whose function returns the module's table
  std::uint32_t abi_version = 0;   // the interface version this pipewise needs
};

// A loaded module of type Module, or why there is none.
template <typename Module>
struct ModuleLoad {
  const Module* module = nullptr;  // null when loading failed
  std::string error;               // then one line naming the module and the problem
};

// The value of the spec's path variable when it is set and not empty, else nullptr.
const char* module_path_override(const ModuleSpec& spec);

// Where the module is looked for: the path variable's value when set and not empty, else
// the spec's file name in the folder of the running executable (/proc/self/exe; the bare
// file name, which dlopen searches for on the library path, when that cannot be read).
std::string module_path(const ModuleSpec& spec);

// The dlopen'ed module at `path` and its entry symbol, or why not (one line).
struct ModuleSymbol {
  void* handle = nullptr;   // null when it failed
  void* address = nullptr;  // the entry symbol
  std::string error;
};
// Opens `path` (dlopen, every symbol resolved now) and finds the spec's entry symbol.
// Errors: "cannot load the KIND module PATH: " then "no such file", dlerror's words (e.g. a
// library the module needs that is missing) or "it is not a pipewise KIND module (it has
// no symbol ENTRY)". On error nothing stays open.
ModuleSymbol open_module(const ModuleSpec& spec, const std::string& path);

// Why a module whose table says `found_version` (absent: it returned no table) or whose
// types' layout differs (`layout_matches` false) cannot be used; empty when it can. On a
// problem the module is closed, as it will not be used.
std::string module_problem(const ModuleSpec& spec, const std::string& path, const ModuleSymbol& symbol,
                           const std::uint32_t* found_version, bool layout_matches);

// Loads the module at `path` and checks its table: Module must have `abi_version`, and
// `layout_matches(*module)` says whether its types' layout is this build's. A module that
// passed stays loaded for the life of the process (the backends it made run its code);
// loading it again returns the same table. Thread-safe, as dlopen is.
template <typename Module, typename LayoutCheck>
ModuleLoad<Module> load_module(const ModuleSpec& spec, const std::string& path, LayoutCheck layout_matches) {
  const ModuleSymbol symbol = open_module(spec, path);
  if (!symbol.error.empty()) return {nullptr, symbol.error};
  using Entry = const Module* (*)();
  const Module* module = reinterpret_cast<Entry>(symbol.address)();
  const std::string problem =
      module_problem(spec, path, symbol, module != nullptr ? &module->abi_version : nullptr,
                     module != nullptr && layout_matches(*module));
  if (!problem.empty()) return {nullptr, problem};
  return {module, {}};
}

}  // namespace pipewise::exec
