// report.html as a browser sees it: headless Chromium (Debian's chromium) loads a page with a real
// gnuplot SVG, a table with characters HTML must escape and text after both, and its DOM must have
// the structure we wrote — so markup that swallows the rest of the page (an unescaped '<', an SVG
// prologue a browser rejects) fails here. Skipped, saying why, where chromium is not installed.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "report/document.h"
#include "report/plots.h"
#include "support/run_command.h"

using namespace paramscale::report;
using paramscale::test::run_command;

namespace {
int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST(ReportHtml, ChromiumSeesTheStructureWeWrote) {
  if (run_command("command -v chromium").exit_code != 0)
    GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
  Document d;
  d.heading("paramscale report", 1);
  d.paragraph("ratio < 1 & \"quoted\"");
  d.table(
      {{"model", "latency NS÷U"}, {"vgg11", "a < b & c"}, {"mobilenetv2", "<script>x</script>"}});
  PlotSpec spec{"Latency vs parameters",
                "parameters",
                "ms",
                false,
                {{"uniform", {{1, 2}, {2, 3}}, true}, {"NeuralScale", {{1, 4}, {2, 7}}, true}}};
  const auto svg = draw_svg(spec);
  ASSERT_TRUE(svg.ok()) << svg.error().message;
  d.plot("latency plot", "plots/latency.svg", *svg);
  d.paragraph("END-OF-PAGE");
  const std::string path = ::testing::TempDir() + "paramscale-report-html-test.html";
  std::ofstream(path) << to_html(d, "paramscale report");

  const auto r = run_command(
      "timeout 60 chromium --headless --no-sandbox --disable-gpu "
      "--no-first-run --dump-dom file://" +
      path);
  std::remove(path.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string& dom = r.out;
  EXPECT_EQ(count(dom, "<h1>"), 1) << dom;
  EXPECT_EQ(count(dom, "<table>"), 1);
  EXPECT_EQ(count(dom, "<tr>"), 3);
  EXPECT_EQ(count(dom, "<svg"), 1);
  EXPECT_EQ(count(dom, "<script"), 0);  // escaped text, not an element
  EXPECT_NE(dom.find("a &lt; b &amp; c"), std::string::npos);
  EXPECT_NE(dom.find("ratio &lt; 1 &amp; \"quoted\""), std::string::npos);
  // Nothing was swallowed: the caption follows the SVG and the last paragraph is in the body.
  EXPECT_LT(dom.find("<svg"), dom.find("<figcaption>latency plot</figcaption>"));
  EXPECT_TRUE(std::regex_search(dom, std::regex("<p>END-OF-PAGE</p>\\s*</body>")))
      << dom.substr(dom.size() - 300);
}
