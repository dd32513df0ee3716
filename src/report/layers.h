// report/layers: the report's measured "why" — per family and budget, where each method's time
// goes layer by layer (paramscale explain, run by the study on its explained cells).
//
// For every uniform/NeuralScale comparison whose two records carry explanations: a paragraph that
// names the layers accounting for the time gap (with their MAC ratio, throughput ratio and layout
// change), a stacked per-layer time plot of both methods, and a roofline plot (achieved GFLOP/s
// against arithmetic intensity under the measured compute and bandwidth ceilings). Comparisons
// without explanations are skipped; a malformed explanation becomes a line in `problems`.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"
#include "report/metrics.h"

namespace paramscale::report {

void layer_sections(Document& doc, const Metrics& m, const std::string& out_dir,
                    std::vector<std::string>& problems);

}  // namespace paramscale::report
