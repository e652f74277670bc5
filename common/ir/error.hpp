#pragma once
#include <stdexcept>
#include <string>

namespace pipewise {

// The one error type pipewise throws across module boundaries. Its message is a single
// line that names the problem (the file, the op, the rule); the CLI prints it and exits 1.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace pipewise
