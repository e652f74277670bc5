#include "tools/model/layer_list.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <sstream>

#include "common/ir/error.hpp"
#include "common/json/json_fields.hpp"
#include "tools/model/model_description.hpp"

namespace pipewise::tools {
namespace {

void append(std::vector<LayerEntry>& layers, const LayerEntry& entry, std::uint64_t count,
            const std::string& where) {
  if (layers.size() + count > kMaxLayers) {
    throw Error(where + ": more than " + std::to_string(kMaxLayers) + " layers");
  }
  layers.insert(layers.end(), count, entry);
}

std::vector<LayerEntry> read_json(const std::string& text, const std::string& source) {
  const nlohmann::json document = parse_json_text(text, source);
  const nlohmann::json* list = &document;
  std::string path = "$";
  if (document.is_object()) {
    JsonFields top(document, "$");
    list = top.child("layers");
    top.finish();
    if (!list) throw Error(source + ": $.layers is missing");
    path = "$.layers";
  }
  if (!list->is_array()) throw Error(source + ": " + path + " must be an array of layers");
  std::vector<LayerEntry> layers;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string where = path + "[" + std::to_string(i) + "]";
    try {
      JsonFields fields((*list)[i], where);
      LayerEntry entry;
      entry.name = fields.string("name").value_or("layer " + std::to_string(layers.size()));
      const std::uint64_t count = fields.count("count").value_or(1);
      const auto forward = fields.non_negative("forward_ms");
      if (!forward) throw Error(fields.path_of("forward_ms") + " is required");
      entry.forward_ms = *forward;
      entry.backward_ms = fields.non_negative("backward_ms").value_or(2 * *forward);
      entry.static_bytes = fields.non_negative("static_bytes").value_or(0);
      entry.activation_bytes = fields.non_negative("activation_bytes").value_or(0);
      fields.finish();
      append(layers, entry, count, where);
    } catch (const Error& error) {
      throw Error(source + ": " + error.what());
    }
  }
  return layers;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream stream(line);
  while (std::getline(stream, cell, ',')) {
    const auto first = cell.find_first_not_of(" \t\r");
    const auto last = cell.find_last_not_of(" \t\r");
    cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

std::vector<LayerEntry> read_csv(const std::string& text, const std::string& source) {
  static const char* const kColumns[] = {"name", "count", "forward_ms", "backward_ms",
                                         "static_bytes", "activation_bytes"};
  std::istringstream stream(text);
  std::string line;
  std::size_t line_number = 0;
  std::vector<std::string> header;
  std::vector<LayerEntry> layers;
  while (std::getline(stream, line)) {
    ++line_number;
    const std::string where = source + ":" + std::to_string(line_number);
    if (line.find_first_not_of(" \t\r") == std::string::npos || line.front() == '#') continue;
    const std::vector<std::string> cells = split_csv_line(line);
    if (header.empty()) {
      header = cells;
      bool has_forward = false;
      for (std::size_t c = 0; c < header.size(); ++c) {
        const std::string& column = header[c];
        // A column named twice would be read twice, the later silently winning.
        if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(c), column) !=
            header.begin() + static_cast<std::ptrdiff_t>(c)) {
          throw Error(where + ": column \"" + column + "\" is named twice");
        }
        if (std::find(std::begin(kColumns), std::end(kColumns), column) == std::end(kColumns)) {
          throw Error(where + ": unknown column \"" + column +
                      "\" (known: name, count, forward_ms, backward_ms, static_bytes, activation_bytes)");
        }
        has_forward = has_forward || column == "forward_ms";
      }
      if (!has_forward) throw Error(where + ": the header needs a forward_ms column");
      continue;
    }
    if (cells.size() != header.size()) {
      throw Error(where + ": expected " + std::to_string(header.size()) + " fields, got " +
                  std::to_string(cells.size()));
    }
    LayerEntry entry;
    entry.name = "layer " + std::to_string(layers.size());
    std::uint64_t count = 1;
    bool backward_given = false;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string& column = header[c];
      if (column == "name") {
        if (!cells[c].empty()) entry.name = cells[c];
        continue;
      }
      char* end = nullptr;
      const double value = std::strtod(cells[c].c_str(), &end);
      if (cells[c].empty() || *end != '\0' || !std::isfinite(value) || value < 0) {
        throw Error(where + ": " + column + " must be a number >= 0 (got \"" + cells[c] + "\")");
      }
      if (column == "count") {
        if (value < 1 || std::floor(value) != value || value > kMaxLayers) {
          throw Error(where + ": count must be a whole number >= 1 (got \"" + cells[c] + "\")");
        }
        count = static_cast<std::uint64_t>(value);
      } else if (column == "forward_ms") {
        entry.forward_ms = value;
      } else if (column == "backward_ms") {
        entry.backward_ms = value;
        backward_given = true;
      } else if (column == "static_bytes") {
        entry.static_bytes = value;
      } else {
        entry.activation_bytes = value;
      }
    }
    if (!backward_given) entry.backward_ms = 2 * entry.forward_ms;
    append(layers, entry, count, where);
  }
  if (header.empty()) throw Error(source + ": no CSV header line");
  return layers;
}

}  // namespace

std::vector<LayerEntry> read_layer_list(const std::string& text, const std::string& source) {
  const auto first = text.find_first_not_of(" \t\r\n");
  std::vector<LayerEntry> layers;
  if (first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
    layers = read_json(text, source);
  } else {
    layers = read_csv(text, source);
  }
  if (layers.empty()) throw Error(source + ": no layers");
  return layers;
}

}  // namespace pipewise::tools
