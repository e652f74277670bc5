# pipewise_library(NAME FOLDER SOURCES ... [PUBLIC deps...] [PRIVATE deps...])
#
# One static library per source folder. Its headers are reachable only through an include
# root of its own, ${PROJECT_BINARY_DIR}/include/NAME, which holds a link FOLDER -> the
# source folder: a target sees the headers of the libraries it links (PUBLIC ones pass on
# to its dependents) and no others, so a lower layer cannot include a higher one's header.
# "#include "common/ir/op.hpp"" keeps its project-relative spelling everywhere.
function(pipewise_library name folder)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "" "SOURCES;PUBLIC;PRIVATE")
  add_library(${name} STATIC ${ARG_SOURCES})
  pipewise_include_root(${name} ${folder} PUBLIC)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE} pipewise_warnings)
  set_property(GLOBAL APPEND PROPERTY PIPEWISE_LIBRARIES ${name})
  set_property(TARGET ${name} PROPERTY PIPEWISE_FOLDER ${folder})
endfunction()

# pipewise_write_library_graph(FILE): one line per pipewise_library, "NAME FOLDER DEP...",
# DEP being the pipewise libraries it links directly (public or private), sorted. The
# architecture document's table is checked against it (tests/docs).
function(pipewise_write_library_graph file)
  get_property(libraries GLOBAL PROPERTY PIPEWISE_LIBRARIES)
  set(lines "")
  foreach(library ${libraries})
    get_target_property(folder ${library} PIPEWISE_FOLDER)
    get_target_property(links ${library} LINK_LIBRARIES)
    set(dependencies "")
    foreach(link ${links})
      if(link MATCHES "^pipewise_" AND TARGET ${link} AND NOT link STREQUAL "pipewise_warnings")
        list(APPEND dependencies ${link})
      endif()
    endforeach()
    list(SORT dependencies)
    list(JOIN dependencies " " dependencies)
    string(APPEND lines "${library} ${folder} ${dependencies}\n")
  endforeach()
  file(WRITE ${file} "${lines}")
endfunction()

# pipewise_include_root(TARGET FOLDER PUBLIC|PRIVATE): gives TARGET the include root that
# exposes the headers directly in FOLDER (not those of its subfolders, which are libraries
# of their own), one link per header, made afresh at each configure.
function(pipewise_include_root target folder scope)
  set(root ${PROJECT_BINARY_DIR}/include/${target})
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/${folder})
  file(GLOB headers RELATIVE ${PROJECT_SOURCE_DIR}/${folder}
       ${PROJECT_SOURCE_DIR}/${folder}/*.hpp ${PROJECT_SOURCE_DIR}/${folder}/*.cuh)
  foreach(header ${headers})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder}/${header} ${root}/${folder}/${header} SYMBOLIC)
  endforeach()
  target_include_directories(${target} ${scope} ${root})
endfunction()

# pipewise_test_suite(NAME FOLDER SOURCES ... LIBS ... [LABEL label]): the GoogleTest
# executable NAME built from tests/FOLDER, linked with LIBS; ctest discovers every test and
# labels it LABEL, by default FOLDER with '/' turned into '_' (common_io, exec_cpu, ...).
# One label per test (gtest_discover_tests cannot pass a list of them through): select
# with ctest's regular expressions, e.g. -L exec for every exec_* suite.
function(pipewise_test_suite name folder)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "LABEL" "SOURCES;LIBS")
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main pipewise_warnings)
  target_compile_definitions(${name} PRIVATE PIPEWISE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  string(REPLACE "/" "_" label ${folder})
  if(ARG_LABEL)
    set(label ${ARG_LABEL})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS ${label})
  set_property(GLOBAL APPEND PROPERTY PIPEWISE_TEST_SUITES "${name} ${label}")
endfunction()

# pipewise_write_test_suites(FILE): one line per pipewise_test_suite defined so far,
# "NAME LABEL", so that a script can build exactly the suites ctest will look for
# (scripts/ci_reliability.sh builds only what it runs).
function(pipewise_write_test_suites file)
  get_property(suites GLOBAL PROPERTY PIPEWISE_TEST_SUITES)
  list(JOIN suites "\n" lines)
  file(WRITE ${file} "${lines}\n")
endfunction()

# pipewise_module(NAME OUTPUT_DIRECTORY DIR SOURCES ... LIBS ...): a shared object loaded with
# dlopen (the CUDA module, the MPI module), built into DIR from SOURCES and the static
# libraries LIBS, which it holds whole (only the system libraries and those of CUDA or MPI stay
# shared). It exports nothing but its entry symbol: the sources are compiled with hidden
# visibility and the libraries' symbols are hidden too (--exclude-libs), so its copies of
# pipewise's code never interpose on the caller's; --no-undefined makes a symbol it lacks a
# link error, not a load-time one.
function(pipewise_module name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBS")
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} pipewise_warnings)
  set_target_properties(${name} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  target_link_options(${name} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)
endfunction()
