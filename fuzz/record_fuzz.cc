// Fuzz target: study cell records (the store's check, loading them, and the report's metrics).
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "report/metrics.h"
#include "study/record.h"
#include "study/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string dir = fuzz::scratch_dir() + "/study";
  ::mkdir(dir.c_str(), 0755);
  ::mkdir((dir + "/cells").c_str(), 0755);
  // The file name is the key the fuzzed record should carry (the seeds do).
  fuzz::scratch_file(data, size, "study/cells/vgg11.uniform.params-0.5.s0.ort.t1.all.json");
  const study::Store store(dir);
  const study::LoadedRecords loaded = store.load();
  for (const std::string& p : loaded.problems) fuzz::check_one_line(p);
  if (loaded.records.size() + loaded.problems.size() != 1) std::abort();
  if (store.has_record("vgg11.uniform.params-0.5.s0.ort.t1.all") != !loaded.records.empty())
    std::abort();
  const report::Metrics m = report::compute_metrics(loaded.records);
  for (const std::string& p : m.problems) fuzz::check_one_line(p);
  return 0;
}
