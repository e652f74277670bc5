#pragma once
// Text from input files (names, paths, a value that failed to parse) shown on a terminal:
// a carriage return, an escape sequence or a line break inside it could rewrite what the
// terminal shows or split a one-line message. printable() shows such bytes as escapes.
#include <string>
#include <string_view>

namespace pipewise {

// `text` with every ASCII control character (0x00-0x1f) and DEL (0x7f) written as an
// escape: \n, \r, \t, \\x1b and the like; a backslash stays as it is. Bytes from 0x80 on
// (UTF-8) are kept.
std::string printable(std::string_view text);

}  // namespace pipewise
