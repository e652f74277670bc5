// docs/architecture.md's table of libraries states, for every library, its folder and the
// pipewise libraries it links: it must say what CMake builds (library_graph.txt, written at
// configure time by pipewise_write_library_graph).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace pipewise {
namespace {

struct Entry {
  std::string folder;
  std::set<std::string> dependencies;
  bool optional = false;  // built only with nvcc or MPI
};

std::string slurp(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Rows "| `name` [(with nvcc) | (with MPI)] | `folder` | `dep` `dep` ... |" (or "—" for none).
std::map<std::string, Entry> documented(const std::string& markdown) {
  std::map<std::string, Entry> entries;
  const std::regex row(R"(\| `(pipewise_\w+)`( \(with (?:nvcc|MPI)\))? \| `([\w/]+)` \| ([^|]*)\|)");
  for (std::sregex_iterator it(markdown.begin(), markdown.end(), row), end; it != end; ++it) {
    Entry entry;
    entry.folder = (*it)[3];
    entry.optional = (*it)[2].matched;
    const std::string dependencies = (*it)[4];
    const std::regex name("`(pipewise_\\w+)`");
    for (std::sregex_iterator dep(dependencies.begin(), dependencies.end(), name); dep != end; ++dep) {
      entry.dependencies.insert((*dep)[1]);
    }
    entries[(*it)[1]] = entry;
  }
  return entries;
}

// Lines "name folder dep dep ...".
std::map<std::string, Entry> built(const std::string& graph) {
  std::map<std::string, Entry> entries;
  std::istringstream lines(graph);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name;
    Entry entry;
    words >> name >> entry.folder;
    for (std::string dependency; words >> dependency;) entry.dependencies.insert(dependency);
    entries[name] = entry;
  }
  return entries;
}

TEST(ArchitectureDoc, TheLibraryTableIsWhatCMakeBuilds) {
  const auto doc = documented(slurp(PIPEWISE_SOURCE_DIR "/docs/architecture.md"));
  const auto graph = built(slurp(PIPEWISE_LIBRARY_GRAPH));
  ASSERT_GT(graph.size(), 10u) << "no library graph at " << PIPEWISE_LIBRARY_GRAPH;
  for (const auto& [name, entry] : graph) {
    const auto found = doc.find(name);
    ASSERT_NE(found, doc.end()) << "docs/architecture.md does not list " << name;
    EXPECT_EQ(found->second.folder, entry.folder) << name;
    EXPECT_EQ(found->second.dependencies, entry.dependencies) << name;
  }
  for (const auto& [name, entry] : doc) {
    if (!entry.optional) {
      EXPECT_TRUE(graph.count(name)) << "docs/architecture.md lists " << name
                                     << ", which CMake does not build";
    }
  }
}

TEST(ArchitectureDoc, TheTableReaderSeesEveryRowShape) {
  const auto doc = documented(
      "| `pipewise_a` | `common/a` | — |\n"
      "| `pipewise_b` (with nvcc) | `exec/b` | `pipewise_a` `pipewise_c` |\n"
      "| `pipewise_c` (with MPI) | `exec/c` | `pipewise_a` |\n");
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_TRUE(doc.at("pipewise_a").dependencies.empty());
  EXPECT_TRUE(doc.at("pipewise_b").optional);
  EXPECT_TRUE(doc.at("pipewise_c").optional);
  EXPECT_EQ(doc.at("pipewise_b").dependencies, (std::set<std::string>{"pipewise_a", "pipewise_c"}));
}

}  // namespace
}  // namespace pipewise
