// util/csv: RFC 4180 quoting.
#include "util/csv.h"

#include <gtest/gtest.h>

namespace paramscale {
namespace {

TEST(Csv, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_line({"m,1", "ort", "0.5"}), "\"m,1\",ort,0.5\n");
}

}  // namespace
}  // namespace paramscale
