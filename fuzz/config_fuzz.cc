// Fuzz target: study configs (parse, validate up front, expand into cells).
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "study/cell.h"
#include "study/config.h"
#include "util/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string path = fuzz::scratch_file(data, size, "config.json");
  auto config = study::read_config(path);
  if (!config.ok()) {
    fuzz::check_one_line(config.error().message);
    return 0;
  }
  // Fits name files: only the checked-in ones are fuzzed, never whatever path the input names.
  config->fits.clear();
  if (Status s = study::validate_config(*config, {"ort", "opencv"}); !s.ok()) {
    fuzz::check_one_line(s.error().message);
    return 0;
  }
  if (study::expand(*config, 2).size() > kMaxStudyCells) std::abort();
  (void)study::to_json(*config).dump();
  return 0;
}
