// docs/reliability.md tabulates the bad inputs and faults that are tested, naming the test
// that checks each. This keeps the table honest: every test, test case and file that its
// "Checked by" and "Regression test" columns name must exist in tests/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = PIPEWISE_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every C++ source under tests/, concatenated.
std::string all_test_sources() {
  std::string sources;
  for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / "tests")) {
    if (entry.is_regular_file() && entry.path().extension() == ".cpp") {
      sources += read_text(entry.path());
    }
  }
  return sources;
}

std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::istringstream in(row.substr(1));  // after the leading '|'
  std::string cell;
  while (std::getline(in, cell, '|')) cells.push_back(cell);
  return cells;
}

// The backticked names in the columns headed "Checked by" or "Regression test" of every
// table of the document.
std::vector<std::string> names_in_test_columns(const std::string& document) {
  static const std::regex backticked("`([^`]+)`");
  std::vector<std::string> names;
  std::istringstream lines(document);
  std::string line;
  bool in_table = false;
  std::vector<bool> is_test_column;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') {
      in_table = false;
      continue;
    }
    const std::vector<std::string> cells = cells_of(line);
    if (!in_table) {  // the header row
      in_table = true;
      is_test_column.clear();
      for (const std::string& cell : cells) {
        is_test_column.push_back(cell.find("Checked by") != std::string::npos ||
                                 cell.find("Regression test") != std::string::npos);
      }
      continue;
    }
    for (std::size_t i = 0; i < cells.size() && i < is_test_column.size(); ++i) {
      if (!is_test_column[i]) continue;
      for (std::sregex_iterator it(cells[i].begin(), cells[i].end(), backticked), end;
           it != end; ++it) {
        names.push_back((*it)[1]);
      }
    }
  }
  return names;
}

// Whether `sources` define what `name` names: a test "Suite.Test" (or "Suite.Prefix*",
// "Suite.*", or "Instances/Suite.Test" of a parameterized suite) as TEST, TEST_F or TEST_P;
// a bare name (the table's shorthand after "Suite.First, ...") as a test of some suite, or
// as the string literal naming a case of a parameterized test ("Throw"); a file of the tree
// by its path.
bool names_something_that_exists(const std::string& name, const std::string& sources) {
  static const std::regex path(R"([\w./-]+\.(cpp|hpp|md|sh))");
  static const std::regex suite_and_test(R"((?:\w+/)?([A-Z]\w*)\.([A-Z]\w*)?(\*?))");
  static const std::regex case_name(R"([A-Z][A-Za-z0-9]*)");
  std::smatch parts;
  if (std::regex_match(name, path)) return fs::is_regular_file(kSourceDir / name);
  if (std::regex_match(name, parts, suite_and_test)) {
    const bool is_prefix = parts[3].length() > 0;
    const std::string declared = parts[1].str() + ", " + parts[2].str() + (is_prefix ? "" : ")");
    return sources.find(declared) != std::string::npos;
  }
  if (std::regex_match(name, case_name)) {
    return sources.find(", " + name + ")") != std::string::npos ||
           sources.find('"' + name + '"') != std::string::npos;
  }
  return false;  // neither a test nor a file: the column holds something it should not
}

TEST(ReliabilityDoc, EveryTestAndFileItsTablesNameExists) {
  const std::string document = read_text(kSourceDir / "docs" / "reliability.md");
  ASSERT_FALSE(document.empty()) << "cannot read docs/reliability.md";
  const std::string sources = all_test_sources();
  const std::vector<std::string> names = names_in_test_columns(document);
  // The tables name well over a hundred tests: fewer means the parse above broke.
  EXPECT_GT(names.size(), 100u);
  for (const std::string& name : names) {
    EXPECT_TRUE(names_something_that_exists(name, sources))
        << "docs/reliability.md names \"" << name << "\", which tests/ does not have";
  }
}

TEST(ReliabilityDoc, TheCheckNoticesANameThatDoesNotExist) {
  const std::string sources =
      "TEST(Faults, AnOpThatThrows) {}\nTEST_F(Other, Prefixed1) {}\n"
      "TEST_P(Refuses, Everything) {}\nINSTANTIATE_TEST_SUITE_P(Cases, Refuses, {\"Throw\"});";
  EXPECT_TRUE(names_something_that_exists("Faults.AnOpThatThrows", sources));
  EXPECT_TRUE(names_something_that_exists("Other.Prefix*", sources));
  EXPECT_TRUE(names_something_that_exists("Other.*", sources));
  EXPECT_FALSE(names_something_that_exists("Another.*", sources));
  EXPECT_FALSE(names_something_that_exists("Faults.AnOpThat", sources));
  EXPECT_FALSE(names_something_that_exists("Faults.AnOpThatNeverWasWritten", sources));
  EXPECT_FALSE(names_something_that_exists("tests/exec/no_such_test.cpp", sources));
  EXPECT_TRUE(names_something_that_exists("tests/exec/core/faults_test.cpp", sources));
  EXPECT_TRUE(names_something_that_exists("Cases/Refuses.Everything", sources));
  EXPECT_TRUE(names_something_that_exists("Throw", sources));
  EXPECT_TRUE(names_something_that_exists("Everything", sources));
  EXPECT_FALSE(names_something_that_exists("Kill", sources));
  EXPECT_FALSE(names_something_that_exists("not a test name", sources));
}

}  // namespace
