// rundir/: reading a training run directory (every problem one bad-input line), the atomic
// writers of arch.json and summary.json, and util/json_file underneath them.
#include "rundir/run_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "arch/families.h"
#include "support/temp_dir.h"
#include "util/json_file.h"

namespace paramscale {
namespace {

arch::Network small(arch::Family f = arch::Family::VGG11) {
  std::vector<int> w = arch::base_widths(f);
  for (int& x : w) x = std::max(1, x / 8);
  return *arch::build_network(f, *arch::dataset_preset("cifar10"), w);
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(RunDir, ReadsArchJsonAndWeights) {
  const test::TempDir tmp;
  const std::string& dir = tmp.path();
  const arch::Network net = small(arch::Family::PreActResNet18);
  const arch::Weights w = arch::random_weights(net, 9);
  ASSERT_TRUE(arch::write_weights(dir + "/weights.psw", w).ok());
  std::string widths;
  for (int x : net.widths) widths += (widths.empty() ? "" : ",") + std::to_string(x);
  write_text(
      dir + "/arch.json",
      R"({"model": "preact_resnet18", "dataset": "cifar10", "method": "uniform", "widths": [)" +
          widths + "]}");
  const auto run = rundir::read_run_dir(dir);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->network.widths, net.widths);
  EXPECT_EQ(run->network.layers.size(), net.layers.size());
  EXPECT_EQ(run->weights.at("classifier.weight").data, w.at("classifier.weight").data);
}

TEST(RunDir, EveryProblemIsOneLineBadInput) {
  const test::TempDir tmp;
  const std::string& dir = tmp.path();
  const arch::Network net = small();
  ASSERT_TRUE(arch::write_weights(dir + "/weights.psw", arch::random_weights(net, 0)).ok());
  const auto expect_error = [&](const std::string& json, const std::string& part) {
    write_text(dir + "/arch.json", json);
    const auto r = rundir::read_run_dir(dir);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().exit_code, 2);
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
  };
  expect_error("{", "is not valid JSON");
  expect_error("[]", "field 'model' is missing");
  expect_error(R"({"model": "vgg11", "dataset": "cifar10"})", "field 'widths'");
  expect_error(R"({"model": "vgg11", "dataset": "cifar10", "widths": "8"})", "field 'widths'");
  expect_error(R"({"model": "vgg11", "dataset": "cifar10", "widths": [8, -1]})",
               "positive integers");
  expect_error(R"({"model": "vgg13", "dataset": "cifar10", "widths": [8]})",
               "unknown model 'vgg13'");
  expect_error(R"({"model": "vgg11", "dataset": "mnist", "widths": [8]})", "unknown dataset");
  expect_error(R"({"model": "vgg11", "dataset": "cifar10", "widths": [8]})", "widths");
  expect_error(R"({"model": "vgg11", "dataset": "cifar10", "widths": [9,16,32,32,64,64,64,64]})",
               "the network needs [9]");
  const auto missing = rundir::read_run_dir(dir + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);
}

TEST(RunDir, WrittenArchReadsBackAsTheSameNetwork) {
  const test::TempDir tmp;
  const std::string& dir = tmp.path();
  const arch::Network net = small(arch::Family::MobileNetV2);
  ASSERT_TRUE(
      arch::write_weights(rundir::file_in(dir, rundir::kWeightsFile), arch::random_weights(net, 4))
          .ok());
  ASSERT_TRUE(rundir::write_arch(dir, {{"model", "mobilenetv2"},
                                       {"dataset", "cifar10"},
                                       {"widths", net.widths},
                                       {"method", "uniform"}})
                  .ok());
  const auto run = rundir::read_run_dir(dir);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->network.widths, net.widths);
  EXPECT_EQ(rundir::file_in(dir, rundir::kArchFile), dir + "/arch.json");
}

TEST(RunDir, SummaryMustBeAnObject) {
  const test::TempDir tmp;
  const std::string& dir = tmp.path();
  const auto missing = rundir::read_summary(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().exit_code, 2);
  EXPECT_NE(missing.error().message.find(dir + "/summary.json"), std::string::npos);
  write_text(dir + "/summary.json", "[1, 2]");
  const auto array = rundir::read_summary(dir);
  ASSERT_FALSE(array.ok());
  EXPECT_NE(array.error().message.find("not a JSON object"), std::string::npos);
  write_text(dir + "/summary.json", "{\"best_test_accuracy\": 9");
  const auto truncated = rundir::read_summary(dir);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("is not valid JSON"), std::string::npos);
  ASSERT_TRUE(rundir::write_summary(dir, {{"best_test_accuracy", 91.5}}).ok());
  const auto written = rundir::read_summary(dir);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(written->at("best_test_accuracy").get<double>(), 91.5);
  std::ifstream in(dir + "/summary.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\n  \"best_test_accuracy\": 91.5\n}\n");
}

TEST(JsonFile, RefusesWhatIsNotARegularFile) {
  const test::TempDir tmp;
  const std::string& dir = tmp.path();
  const auto a_directory = read_json_file(dir, "study record");
  ASSERT_FALSE(a_directory.ok());
  EXPECT_EQ(a_directory.error().exit_code, 2);
  EXPECT_EQ(a_directory.error().message.find('\n'), std::string::npos);
  ASSERT_EQ(::mkfifo((dir + "/fifo").c_str(), 0600), 0);
  const auto fifo = read_json_file(dir + "/fifo", "study record");  // must not block
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(fifo.error().message.find("study record"), std::string::npos) << fifo.error().message;
}

}  // namespace
}  // namespace paramscale
