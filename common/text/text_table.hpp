#pragma once
// Plain-text tables and CSV for the CLI's reports.
#include <string>
#include <vector>

namespace pipewise {

// A table with a header row; columns are as wide as their widest cell, numbers-like
// columns can be right-aligned.
class TextTable {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string header;
    Align align = Align::Left;
  };

  explicit TextTable(std::vector<Column> columns);
  // REQUIRES: cells.size() equals the number of columns.
  void add_row(std::vector<std::string> cells);
  // The header, a rule of dashes, then the rows, each line ending in '\n'; two spaces
  // between columns, no trailing spaces.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// `field` as one RFC 4180 CSV field: quoted (with quotes doubled) when it holds a comma,
// a quote or a line break.
std::string csv_field(const std::string& field);

}  // namespace pipewise
