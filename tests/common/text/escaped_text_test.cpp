// Text from input files is shown with its control characters escaped (issue 13: messages
// echoed raw CR and ESC bytes, which a terminal obeys).
#include "common/text/escaped_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pipewise {
namespace {

TEST(Printable, EscapesEveryControlCharacterAndKeepsTheRest) {
  EXPECT_EQ(printable("plain name-1.json"), "plain name-1.json");
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(printable(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(printable("caf\xc3\xa9 \\ ok"), "caf\xc3\xa9 \\ ok");  // UTF-8 and backslashes stay
}

}  // namespace
}  // namespace pipewise
