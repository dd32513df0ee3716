// report/precision: the FP32-vs-INT8 part of a report — per family and budget, the model file,
// runtime memory, latency and deployed accuracy of both precisions side by side, INT8 ÷ FP32,
// NeuralScale ÷ uniform within INT8 next to FP32's, and, plainly, every pair where INT8 was slower.
//
// Every number is a measured point (report/metrics.h); nothing is added when the study has no
// INT8 models, so FP32-only reports are unchanged.
#pragma once

#include <nlohmann/json.hpp>

#include "report/document.h"
#include "report/metrics.h"

namespace paramscale::report {

void precision_section(Document& doc, const Metrics& m);

// The same comparisons for report.json: one object per INT8/FP32 pair with its ratios.
nlohmann::json precision_json(const Metrics& m);

}  // namespace paramscale::report
