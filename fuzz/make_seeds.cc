// fuzz/make_seeds: writes the seed corpus of every fuzz target with the project's own writers
// (fuzz/corpus/<target>/, checked in; rerun after a format change: fuzz_make_seeds fuzz/corpus).
// Seeds are small valid inputs, so the fuzzers start from the formats' real structure.
// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
#include <sys/stat.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "arch/dataset.h"
#include "arch/families.h"
#include "arch/weights.h"
#include "export/onnx_export.h"
#include "scaling/budget.h"
#include "scaling/fit.h"
#include "scaling/fit_file.h"
#include "scaling/trace.h"
#include "scaling/uniform.h"
#include "study/cell.h"
#include "study/config.h"
#include "study/record.h"

namespace {

using namespace paramscale;
std::string root;

std::string dir(const std::string& target) {
  const std::string d = root + "/" + target;
  ::mkdir(d.c_str(), 0755);
  return d;
}

void put(const std::string& target, const std::string& name, const std::string& bytes) {
  std::ofstream(dir(target) + "/" + name, std::ios::binary) << bytes;
}

void put_gz(const std::string& target, const std::string& name, const std::string& bytes) {
  gzFile f = gzopen((dir(target) + "/" + name).c_str(), "wb9");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

void idx_seeds() {
  std::string images = be32(0x803) + be32(2) + be32(28) + be32(28);
  for (int i = 0; i < 2 * 28 * 28; ++i) images += char(i % 251);
  const std::string labels = be32(0x801) + be32(2) + std::string{char(3), char(9)};
  put("idx", "images-idx3", images);
  put_gz("idx", "images-idx3.gz", images);
  put("idx", "labels-idx1", labels);
  put_gz("idx", "labels-idx1.gz", labels);
}

void cifar_seeds() {
  std::string ten, hundred;
  for (int r = 0; r < 2; ++r) {
    ten += char(r + 1);
    hundred += std::string{char(r), char(50 + r)};
    for (int i = 0; i < 3072; ++i) ten += char((i * 7 + r) % 256), hundred += char(i % 256);
  }
  put("cifar", "cifar10.bin", ten);
  put("cifar", "cifar100.bin", hundred);
}

void jpeg_seed(const std::string& name, int size, int components) {
  const std::string path = dir("jpeg") + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = c.image_height = static_cast<JDIMENSION>(size);
  c.input_components = components;
  c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 50, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<JSAMPLE> row(static_cast<size_t>(size * components));
  while (c.next_scanline < c.image_height) {
    for (size_t x = 0; x < row.size(); ++x) row[x] = static_cast<JSAMPLE>(x * 3 + c.next_scanline);
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&c, &p, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

scaling::Trace vgg_trace() {
  scaling::Trace t;
  t.width_names = arch::width_names(arch::Family::VGG11);
  for (int r = 0; r < 4; ++r) {
    std::vector<int> w;
    for (int b : arch::base_widths(arch::Family::VGG11)) w.push_back(b / (r + 1) + r % 2);
    t.rows.push_back(w);
  }
  return t;
}

void trace_and_fit_seeds() {
  const arch::DatasetShape cifar = *arch::dataset_preset("cifar10");
  scaling::Trace t = vgg_trace();
  t.tau = *scaling::trace_taus(arch::Family::VGG11, cifar, t, scaling::CountMode::True);
  (void)scaling::write_trace(dir("trace") + "/with_header.csv", t);
  std::string plain;
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) plain += (i ? "," : "") + std::to_string(row[i]);
    plain += "\n";
  }
  put("trace", "authors.csv", plain);
  scaling::FitFile fit;
  fit.model = "vgg11";
  fit.dataset = "cifar10";
  fit.num_classes = 10;
  fit.traces = {"with_header.csv"};
  fit.iterations.push_back(
      *scaling::fit_trace(arch::Family::VGG11, cifar, t, scaling::CountMode::True));
  fit.iterations.back().iteration = 1;
  put("fit", "vgg11.json", scaling::fit_json(fit));
}

void config_seeds() {
  for (const std::string name : {"quick", "paper"}) {
    study::StudyConfig c = *study::preset(name);
    c.fits.clear();  // no machine paths in the corpus
    put("config", name + ".json", study::to_json(c).dump(2));
  }
  put("config", "small.json",
      R"({"preset": "quick", "models": ["vgg11", "resnet50"], "methods": ["uniform"],
          "budgets": ["params:0.5", "width:0.25"], "threads": [1, 0], "seeds": [0, 1],
          "runtimes": ["ort", "opencv"], "aligns": [1, 8], "train": {"enabled": false},
          "bench": {"min_runs": 3, "min_seconds": 0.1}})");
}

void record_seed() {
  study::StudyConfig config = *study::preset("quick");
  const study::Cell cell{"vgg11", "uniform", "params:0.5", 0, "ort", 1, "all", 1, "local"};
  const arch::DatasetShape shape = *arch::dataset_preset(config.dataset);
  const auto widths =
      scaling::scale_uniform(arch::Family::VGG11, shape, *scaling::parse_budget(cell.budget),
                             scaling::CountMode::True)
          ->widths;
  const nlohmann::json bench = {
      {"latency_ms", {{"median", 1.5}, {"p90", 1.7}, {"min", 1.2}, {"runs", 30}}},
      {"memory", {{"peak_inference_rss", 90000000}, {"baseline", {{"vm_rss", 30000000}}}}},
      {"environment", {{"cpu_model", "fuzz CPU"}}},
      {"request", {{"backend", {{"threads", 1}}}}},
      {"layout", {{"nchwc_convs", 8}, {"convs", 8}, {"nchwc_fraction", 1.0}}},
      {"validity", {{"timings_valid", true}, {"reasons", nlohmann::json::array()}}}};
  const nlohmann::json train = {{"final_test_accuracy", 0.8}, {"best_test_accuracy", 0.82}};
  put("record", "trained.json", study::make_record(config, cell, widths, train, bench)->dump(2));
  put("record", "untrained.json",
      study::make_record(config, cell, widths, nullptr, bench)->dump(2));
}

void weights_arch_onnx_seeds() {
  const arch::DatasetShape cifar = *arch::dataset_preset("cifar10");
  const auto net = *arch::build_network(arch::Family::VGG11, cifar, std::vector<int>(8, 1));
  const arch::Weights w = arch::random_weights(net, 1);
  (void)arch::write_weights(dir("weights") + "/vgg11-w1.psw", w);
  put("arch_json", "vgg11.json",
      R"({"model": "vgg11", "dataset": "cifar10", "widths": [1,1,1,1,1,1,1,1], "method": "uniform",
          "budget": "widths", "align": 1})");
  put("arch_json", "mismatch.json",
      R"({"model": "vgg11", "dataset": "cifar10", "widths": [2,1,1,1,1,1,1,1]})");
  (void)onnx_export::write_onnx(dir("model_info") + "/vgg11-w1.onnx", net, w);
  onnx_export::Options fixed;
  fixed.batch = 1;
  fixed.fold_batchnorm = true;
  (void)onnx_export::write_onnx(dir("model_info") + "/vgg11-w1-b1.onnx", net, w, fixed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  ::mkdir(root.c_str(), 0755);
  idx_seeds();
  cifar_seeds();
  jpeg_seed("rgb.JPEG", 64, 3);
  jpeg_seed("gray.JPEG", 64, 1);
  jpeg_seed("small.JPEG", 8, 3);
  trace_and_fit_seeds();
  config_seeds();
  record_seed();
  weights_arch_onnx_seeds();
  return 0;
}
