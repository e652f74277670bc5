#include "tools/cli/range_expression.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/ir/error.hpp"
#include "tools/cli/option_lists.hpp"

namespace pipewise::tools {
namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

class ItemParser {
 public:
  ItemParser(const std::string& option, std::string_view item, std::uint32_t minimum,
             std::uint32_t maximum)
      : option_(option), item_(item), minimum_(minimum), maximum_(maximum) {}

  // Appends the values of the item to `values`.
  void append_to(std::vector<std::uint32_t>& values) const {
    std::string_view body = item_;
    const bool powers_of_two = body.starts_with("pow2:");
    if (powers_of_two) body.remove_prefix(5);
    const auto dots = body.find("..");
    if (dots == std::string_view::npos) {
      if (powers_of_two) fail("pow2: needs a range such as pow2:2..64");
      values.push_back(bounded(number(body)));
      return;
    }
    std::string_view end_text = body.substr(dots + 2);
    std::uint64_t step = 1;
    const auto colon = end_text.find(':');
    if (colon != std::string_view::npos) {
      if (powers_of_two) fail("a pow2 range takes no step");
      step = number(end_text.substr(colon + 1));
      if (step == 0) fail("the step must be at least 1");
      end_text = end_text.substr(0, colon);
    }
    const std::uint64_t first = number(body.substr(0, dots));
    const std::uint64_t last = number(end_text);
    if (last < first) {
      fail("the range ends (" + std::to_string(last) + ") before it starts (" +
           std::to_string(first) + ")");
    }
    const std::size_t before = values.size();
    if (powers_of_two) {
      // Doubling stops before it could pass 2^64 (and wrap to 0).
      for (std::uint64_t power = 1;; power *= 2) {
        if (power >= first && power <= last) values.push_back(bounded(power));
        if (power > last / 2) break;
      }
      if (values.size() == before) fail("no power of two lies in the range");
      return;
    }
    // Stepping stops before it could pass 2^64 (and wrap around into the range again).
    for (std::uint64_t value = first;; value += step) {
      values.push_back(bounded(value));
      if (step > last - value) break;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("--" + option_ + ": bad item \"" + std::string(item_) + "\": " + why);
  }

  std::uint64_t number(std::string_view text) const {
    text = trimmed(text);
    if (text.empty()) fail("a number is missing");
    if (text.front() == '-') fail("sizes cannot be negative");
    std::uint64_t value = 0;
    for (const char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        fail("\"" + std::string(text) + "\" is not a whole number");
      }
      if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) fail("number too large");
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
  }

  std::uint32_t bounded(std::uint64_t value) const {
    if (value < minimum_ || value > maximum_) {
      fail(std::to_string(value) + " is outside " + std::to_string(minimum_) + ".." +
           std::to_string(maximum_));
    }
    return static_cast<std::uint32_t>(value);
  }

  const std::string& option_;
  std::string_view item_;
  std::uint32_t minimum_;
  std::uint32_t maximum_;
};

}  // namespace

std::vector<std::uint32_t> parse_range_expression(std::string_view expression,
                                                  const std::string& option,
                                                  std::uint32_t minimum, std::uint32_t maximum) {
  std::vector<std::uint32_t> values;
  for (const std::string& item : comma_separated(std::string(expression), option)) {
    ItemParser(option, item, minimum, maximum).append_to(values);
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

}  // namespace pipewise::tools
