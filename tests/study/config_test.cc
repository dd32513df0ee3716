#include <gtest/gtest.h>

#include <filesystem>

#include "study/cell.h"
#include "study/config.h"

using namespace paramscale::study;
using nlohmann::json;

TEST(StudyConfig, PresetsExpandToTheirMatrix) {
  const auto quick = *preset("quick");
  EXPECT_EQ(quick.dataset, "fashion-mnist");
  EXPECT_EQ(expand(quick, 2).size(), 8u);  // 1 model x 2 methods x 4 budgets
  const auto paper = *preset("paper");
  EXPECT_FALSE(paper.train.enabled);
  // 4 models x 2 methods x 4 budgets x 2 alignments (none, 8) x (ort at 1 and 2 threads + opencv
  // at 1 and 2 threads)
  EXPECT_EQ(paper.aligns, (std::vector<int>{1, 8}));
  EXPECT_EQ(expand(paper, 2).size(), 4u * 2 * 4 * 2 * 4);
  // With one core "1 thread" and "all cores" are the same cell.
  EXPECT_EQ(expand(paper, 1).size(), 4u * 2 * 4 * 2 * 2);
  // ResNet-50 (no published fit) comes with the fit our own search produced, shipped in data/fits.
  ASSERT_EQ(paper.fits.count("resnet50"), 1u);
  EXPECT_TRUE(std::filesystem::exists(paper.fits.at("resnet50"))) << paper.fits.at("resnet50");
  EXPECT_EQ(paper.fits.size(), 1u);
}

TEST(StudyConfig, KeysAreStableAndFileSafe) {
  Cell c{"vgg11", "uniform", "params:0.25", 0, "ort", 2, "all"};
  EXPECT_EQ(c.model_key(), "vgg11.uniform.params-0.25.s0");
  EXPECT_EQ(c.key(), "vgg11.uniform.params-0.25.s0.ort.t2.all");
  c.align = 8;  // an aligned network is another model: trained and exported on its own
  EXPECT_EQ(c.model_key(), "vgg11.uniform.params-0.25.a8.s0");
  EXPECT_EQ(c.key(), "vgg11.uniform.params-0.25.a8.s0.ort.t2.all");
}

TEST(StudyConfig, AlignsAreADimension) {
  const auto c = config_from_json({{"aligns", {1, 8}}, {"methods", {"neuralscale"}}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto cells = expand(*c, 2);
  ASSERT_EQ(cells.size(), 8u);  // 4 budgets x 2 alignments
  EXPECT_EQ(cells[0].align, 1);
  EXPECT_EQ(cells[1].align, 8);
  EXPECT_EQ(to_json(*c)["aligns"], json({1, 8}));
  EXPECT_FALSE(config_from_json({{"aligns", {0}}}).ok());
  EXPECT_FALSE(config_from_json({{"aligns", json::array()}}).ok());
  EXPECT_EQ(config_from_json({{"aligns", "8"}}).error().message,
            "config field 'aligns' has the wrong type");
}

TEST(StudyConfig, JsonOverridesPresetAndRejectsMistakes) {
  auto c = config_from_json(
      {{"preset", "quick"}, {"budgets", {"width:0.5"}}, {"train", {{"epochs", 3}}}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->budgets, std::vector<std::string>{"width:0.5"});
  EXPECT_EQ(c->train.epochs, 3);
  EXPECT_EQ(c->train.subset, 15000);  // the preset's, not overridden
  EXPECT_EQ(c->train.batch_size, 64);
  EXPECT_EQ(c->train.test_subset, 2000);
  EXPECT_TRUE(c->search.enabled);
  EXPECT_EQ(config_from_json({{"modles", {"vgg11"}}}).error().message,
            "unknown config field 'modles'");
  EXPECT_EQ(config_from_json({{"threads", "two"}}).error().message,
            "config field 'threads' has the wrong type");
  EXPECT_FALSE(config_from_json({{"models", json::array()}}).ok());
  EXPECT_FALSE(config_from_json({{"train", {{"epochs", 0}}}}).ok());
  EXPECT_FALSE(config_from_json({{"preset", "huge"}}).ok());
  EXPECT_FALSE(config_from_json(json::array()).ok());
  EXPECT_FALSE(read_config("/nonexistent/config.json").ok());
}

TEST(StudyConfig, TorchRuntimeNeedsTrainedRuns) {
  // libtorch measures a run directory; a deployment-only study has none.
  const auto untrained =
      config_from_json({{"runtimes", {"ort", "torch"}}, {"train", {{"enabled", false}}}});
  ASSERT_FALSE(untrained.ok());
  EXPECT_NE(untrained.error().message.find("runtime 'torch'"), std::string::npos);
  const auto trained =
      config_from_json({{"runtimes", {"ort", "torch"}}, {"train", {{"enabled", true}}}});
  ASSERT_TRUE(trained.ok()) << trained.error().message;
  EXPECT_EQ(trained->runtimes, (std::vector<std::string>{"ort", "torch"}));
}

TEST(StudyConfig, PrecisionsAreADimension) {
  const auto c = config_from_json({{"precisions", {"fp32", "int8"}},
                                   {"methods", {"uniform"}},
                                   {"runtimes", {"ort", "opencv"}},
                                   {"threads", {1}},
                                   {"quantize", {{"calibration", "entropy"}}}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto cells = expand(*c, 2);
  ASSERT_EQ(cells.size(), 12u);  // 4 budgets x (fp32 on ort and opencv, int8 on ort only)
  EXPECT_EQ(cells[0].precision, "fp32");
  EXPECT_EQ(cells[2].precision, "int8");
  EXPECT_EQ(cells[2].runtime, "ort");
  EXPECT_EQ(cells[2].key(), "vgg11.uniform.params-0.25.s0.int8.ort.t1.all");
  EXPECT_EQ(cells[2].network_key(), "vgg11.uniform.params-0.25.s0");
  EXPECT_EQ(to_json(*c)["precisions"], json({"fp32", "int8"}));
  EXPECT_EQ(to_json(*c)["quantize"]["calibration"], "entropy");
  // FP32-only configs keep the JSON they had before precisions existed (resume compares it).
  EXPECT_FALSE(to_json(*preset("quick")).contains("precisions"));
  EXPECT_FALSE(to_json(*preset("quick")).contains("quantize"));
  for (const json& bad :
       {json{{"precisions", {"int4"}}}, json{{"precisions", json::array()}},
        json{{"precisions", {"int8", "int8"}}}, json{{"quantize", {{"calibration", "kl"}}}},
        json{{"quantize", {{"calibration_images", 4}}}}, json{{"quantize", {{"bits", 8}}}},
        json{{"quantize", 3}}})
    EXPECT_FALSE(config_from_json(bad).ok()) << bad.dump();
}

// The Slurm block: settings per stage kind (make, measure), a shared value where one fits both
// (extra_args, max_concurrent), time limits Slurm accepts, and a round trip through the study's
// saved config.
TEST(StudyConfig, SlurmSettingsPerStageKind) {
  const auto c = config_from_json({{"executor", "slurm"},
                                   {"slurm",
                                    {{"partitions", {{"make", "gpu"}, {"measure", "bench"}}},
                                     {"time", {{"make", "1-00:00:00"}, {"measure", "20"}}},
                                     {"gres", {{"make", "gpu:1"}}},
                                     {"constraint", {{"measure", "pi4"}}},
                                     {"extra_args", {"--account=ml"}},
                                     {"max_concurrent", {{"measure", 4}}}}}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->slurm.make.partition, "gpu");
  EXPECT_EQ(c->slurm.measure.partition, "bench");
  EXPECT_EQ(c->slurm.make.time, "1-00:00:00");
  EXPECT_EQ(c->slurm.measure.time, "20");
  EXPECT_EQ(c->slurm.make.gres, "gpu:1");
  EXPECT_EQ(c->slurm.measure.gres, "");
  EXPECT_EQ(c->slurm.measure.constraint, "pi4");
  EXPECT_EQ(c->slurm.make.extra_args, std::vector<std::string>{"--account=ml"});
  EXPECT_EQ(c->slurm.measure.extra_args, std::vector<std::string>{"--account=ml"});
  EXPECT_EQ(c->slurm.make.max_concurrent, 0);
  EXPECT_EQ(c->slurm.measure.max_concurrent, 4);
  EXPECT_TRUE(c->slurm.measure_exclusive);
  const auto again = config_from_json(to_json(*c));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(to_json(*again), to_json(*c));
  for (const auto& [bad, message] : std::vector<std::pair<json, std::string>>{
           {{{"time", {{"make", "4 hours"}}}}, "not a Slurm time limit"},
           {{{"time", {{"measure", ""}}}}, "not a Slurm time limit"},
           {{{"partitions", {{"train", "gpu"}}}}, "stage kinds are make and measure"},
           {{{"partitions", "gpu"}}, "must be an object"},
           {{{"max_concurrent", -1}}, "max_concurrent' must be >= 0"},
           {{{"queue", "x"}}, "unknown config field 'slurm.queue'"}}) {
    const auto r = config_from_json({{"executor", "slurm"}, {"slurm", bad}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(config_from_json({{"executor", "cluster"}}).ok());
}
