// scaling/fit_file: NeuralScale fit files — power laws per architecture-descent iteration, as JSON.
//
// The format is that of the authors' published fits: {"model", "dataset", "num_classes",
// "iterations": [{"iteration": k, "alpha": [...], "beta": [...]}, ...]} with one alpha/beta per
// scalable width in the family's reference order. Files we write add "count" (the parameter count
// tau was measured with: "true" or "proxy"), per-layer "r2" and "rows" in every iteration, and
// "traces" (the trace files fitted). A file without "count" is read as "proxy": the published fits
// were made with the authors' proxy count. The reader checks every field and returns a one-line
// Error naming the file, the field and the value.
#pragma once

#include <string>
#include <vector>

#include "scaling/budget.h"
#include "scaling/fit.h"

namespace paramscale::scaling {

struct FitFile {
  std::string model;    // family name, e.g. "vgg11"; empty when the file does not say
  std::string dataset;  // e.g. "cifar10"; empty when the file does not say
  int num_classes = 0;  // 0 when the file does not say
  CountMode count = CountMode::Proxy;
  std::vector<std::string> traces;  // source trace files, when known
  std::vector<PowerLaws> iterations;
};

Result<FitFile> read_fit_file(const std::string& path);
Result<FitFile> parse_fit_json(const std::string& text, const std::string& source);
std::string fit_json(const FitFile& fit);  // pretty-printed JSON text
Status write_fit_file(const std::string& path, const FitFile& fit);

// The laws of iteration k (as numbered in the file); k = 0 picks the last iteration. The laws must
// have the family's width count.
Result<PowerLaws> select_iteration(const FitFile& fit, int k, arch::Family family,
                                   const std::string& source);

}  // namespace paramscale::scaling
