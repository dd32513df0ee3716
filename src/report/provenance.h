// report/provenance: how a study's networks came to be — the training settings, and where every
// NeuralScale fit came from (a file the user gave, or the study's own search with its settings and
// fit quality), read from each study directory's config.json and search/<model>/search.json.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"

namespace paramscale::report {

void provenance_section(Document& doc, const std::vector<std::string>& study_dirs);

}  // namespace paramscale::report
