#include "scaling/fit_file.h"

#include <gtest/gtest.h>

#include "reference_data.h"

namespace paramscale::scaling {
namespace {

TEST(FitFile, WriteThenReadGivesTheSameFit) {
  FitFile fit;
  fit.model = "vgg11";
  fit.dataset = "cifar10";
  fit.num_classes = 10;
  fit.count = CountMode::True;
  fit.traces = {"a.csv"};
  PowerLaws laws;
  laws.iteration = 3;
  laws.alpha = {0.1, 1.0 / 3, 2, 3, 4, 5, 6, 7};
  laws.beta = {0.5, 0.25, 1.0 / 7, 0.4, 0.5, 0.6, 0.7, 0.8};
  laws.r2 = {0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92};
  laws.rows = 42;
  fit.iterations = {laws};
  const std::string path = test::temp_file("", ".json");
  ASSERT_TRUE(write_fit_file(path, fit).ok());
  const Result<FitFile> back = read_fit_file(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->model, "vgg11");
  EXPECT_EQ(back->dataset, "cifar10");
  EXPECT_EQ(back->num_classes, 10);
  EXPECT_EQ(back->count, CountMode::True);
  EXPECT_EQ(back->traces, fit.traces);
  ASSERT_EQ(back->iterations.size(), 1u);
  EXPECT_EQ(back->iterations[0].iteration, 3);
  EXPECT_EQ(back->iterations[0].alpha, laws.alpha);  // bit-exact through JSON
  EXPECT_EQ(back->iterations[0].beta, laws.beta);
  EXPECT_EQ(back->iterations[0].r2, laws.r2);
  EXPECT_EQ(back->iterations[0].rows, 42);
}

TEST(FitFile, ReadsEveryPublishedFit) {
  const std::string dir = test::neuralscale_dir();
  if (dir.empty()) GTEST_SKIP() << "NeuralScale reference data not found beside the repository";
  for (const char* name :
       {"vgg11_cifar10", "vgg11_cifar100", "mobilenetv2_cifar100", "mobilenetv2_tinyimagenet",
        "preact_resnet18_cifar100", "preact_resnet18_tinyimagenet"}) {
    const Result<FitFile> fit = read_fit_file(dir + "/fits/" + name + ".json");
    ASSERT_TRUE(fit.ok()) << fit.error().message;
    EXPECT_EQ(fit->iterations.size(), 15u) << name;
    EXPECT_EQ(fit->count, CountMode::Proxy) << name;  // no "count" field: the authors' proxy
    const arch::Family family = *arch::family_from_name(fit->model);
    const Result<PowerLaws> last = select_iteration(*fit, 0, family, name);
    ASSERT_TRUE(last.ok()) << last.error().message;
    EXPECT_EQ(last->iteration, 15);
    EXPECT_EQ(last->layer_count(), static_cast<int>(arch::base_widths(family).size()));
  }
}

const char* kTwoLayers = R"({"model": "vgg11", "iterations": [
  {"iteration": 1, "alpha": [1, 2], "beta": [0.5, 0.5]}]})";

TEST(FitFile, SelectIterationNamesWhatIsWrong) {
  const Result<FitFile> fit = parse_fit_json(kTwoLayers, "two.json");
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  const Result<PowerLaws> missing = select_iteration(*fit, 7, arch::Family::VGG11, "two.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "fit file 'two.json' has no iteration 7 (it has 1..1)");
  const Result<PowerLaws> layers = select_iteration(*fit, 1, arch::Family::VGG11, "two.json");
  ASSERT_FALSE(layers.ok());
  EXPECT_EQ(layers.error().message,
            "fit file 'two.json' iteration 1 has 2 widths, but vgg11 has 8");
  const Result<PowerLaws> model = select_iteration(*fit, 1, arch::Family::MobileNetV2, "two.json");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().message, "fit file 'two.json' is for model 'vgg11', not mobilenetv2");
}

struct BadFit {
  const char* text;
  const char* message_part;
};

class FitFileBadInput : public ::testing::TestWithParam<BadFit> {};

TEST_P(FitFileBadInput, IsAOneLineError) {
  const Result<FitFile> fit = parse_fit_json(GetParam().text, "bad.json");
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.error().exit_code, 2);
  EXPECT_EQ(fit.error().message.find('\n'), std::string::npos);
  EXPECT_NE(fit.error().message.find(GetParam().message_part), std::string::npos)
      << fit.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FitFileBadInput,
    ::testing::Values(BadFit{"{\"iterations\": [", "is not valid JSON (syntax error at byte"},
                      BadFit{"[1, 2]", "is not a JSON object"},
                      BadFit{"{}", "missing or empty 'iterations' array"},
                      BadFit{R"({"iterations": []})", "missing or empty 'iterations'"},
                      BadFit{R"({"iterations": [{"beta": [1]}]})",
                             "iterations[0]: missing array 'alpha'"},
                      BadFit{R"({"iterations": [{"alpha": [1, "x"], "beta": [1, 1]}]})",
                             "iterations[0] alpha[1] is not a number: \"x\""},
                      BadFit{R"({"iterations": [{"alpha": [1, -2], "beta": [1, 1]}]})",
                             "alpha[1] = -2 must be positive"},
                      BadFit{R"({"iterations": [{"alpha": [1, 2], "beta": [1]}]})",
                             "'alpha' has 2 entries and 'beta' 1"},
                      BadFit{R"({"iterations": [{"iteration": "x", "alpha": [1], "beta": [1]}]})",
                             "'iteration' is not an integer"},
                      BadFit{R"({"count": "median", "iterations": [{"alpha": [1], "beta": [1]}]})",
                             "'count': unknown parameter count 'median'"},
                      BadFit{R"({"model": 3, "iterations": [{"alpha": [1], "beta": [1]}]})",
                             "'model' is not a string"}));

TEST(FitFile, MissingFileIsNamed) {
  const Result<FitFile> fit = read_fit_file("/nonexistent/fit.json");
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.error().message, "cannot open fit file '/nonexistent/fit.json'");
}

}  // namespace
}  // namespace paramscale::scaling
