#include "scaling/trace.h"

#include <gtest/gtest.h>

#include "reference_data.h"

namespace paramscale::scaling {
namespace {

TEST(Trace, ReadsTheAuthorsHeaderlessFormat) {
  const Result<Trace> t = parse_trace("3,4\n5,6\n\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->rows, (std::vector<std::vector<int>>{{3, 4}, {5, 6}}));
  EXPECT_TRUE(t->width_names.empty());
  EXPECT_TRUE(t->tau.empty());
}

TEST(Trace, ReadsOurHeaderAndTauColumn) {
  const Result<Trace> t = parse_trace("conv1,conv2,tau\r\n3,4,100.5\r\n5,6,200\r\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->width_names, (std::vector<std::string>{"conv1", "conv2"}));
  EXPECT_EQ(t->rows, (std::vector<std::vector<int>>{{3, 4}, {5, 6}}));
  EXPECT_EQ(t->tau, (std::vector<double>{100.5, 200}));
}

TEST(Trace, WriteThenReadGivesTheSameTrace) {
  Trace t;
  t.width_names = {"a", "b", "c"};
  t.rows = {{7, 8, 9}, {6, 8, 1}};
  t.tau = {1234.25, 999};
  const std::string path = test::temp_file("", ".csv");
  ASSERT_TRUE(write_trace(path, t).ok());
  const Result<Trace> back = read_trace(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->width_names, t.width_names);
  EXPECT_EQ(back->rows, t.rows);
  EXPECT_EQ(back->tau, t.tau);
}

struct BadTrace {
  const char* text;
  const char* message_part;
};

class TraceBadInput : public ::testing::TestWithParam<BadTrace> {};

TEST_P(TraceBadInput, IsAOneLineError) {
  const Result<Trace> t = parse_trace(GetParam().text, "bad.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().exit_code, 2);
  EXPECT_EQ(t.error().message.find('\n'), std::string::npos);
  EXPECT_NE(t.error().message.find(GetParam().message_part), std::string::npos)
      << t.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TraceBadInput,
    ::testing::Values(BadTrace{"3,nan\n", "line 1 column 2: width 'nan' is not a positive integer"},
                      BadTrace{"3,4\n0,4\n", "line 2 column 1: width '0'"},
                      BadTrace{"3,-4\n", "width '-4'"}, BadTrace{"3,4.5\n", "width '4.5'"},
                      BadTrace{"3,4\n5\n", "line 2: 1 columns, expected 2"},
                      BadTrace{"3,4,\n", "width ''"}, BadTrace{"", "has no rows"},
                      BadTrace{"a,b,tau\n", "has no rows"},
                      BadTrace{"a,tau\n3,inf\n", "tau 'inf' is not a positive number"},
                      BadTrace{"a,tau\n3,-1\n", "tau '-1'"}));

TEST(Trace, MissingFileIsNamed) {
  const Result<Trace> t = read_trace("/nonexistent/trace.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "cannot open trace file '/nonexistent/trace.csv'");
}

TEST(Trace, ReadsTheAuthorsVggTrace) {
  const std::string dir = test::neuralscale_dir();
  if (dir.empty()) GTEST_SKIP() << "NeuralScale reference data not found beside the repository";
  const Result<Trace> t = read_trace(dir + "/traces/vgg_10_eff_c10_14.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->rows.size(), 237u);
  EXPECT_EQ(t->layer_count(), 8);
  EXPECT_EQ(t->rows[0], (std::vector<int>{203, 372, 472, 556, 400, 263, 105, 117}));
}

}  // namespace
}  // namespace paramscale::scaling
