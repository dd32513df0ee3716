#include "cli/run_dir_exports.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "export/onnx_export.h"
#include "rundir/run_dir.h"

namespace paramscale::cli {

RunDirExports::~RunDirExports() {
  for (const auto& [dir, onnx] : done_) std::remove(onnx.c_str());
  if (!tmp_.empty()) rmdir(tmp_.c_str());
}

Result<std::string> RunDirExports::onnx_for(const std::string& run_dir) {
  if (auto it = done_.find(run_dir); it != done_.end()) return it->second;
  if (tmp_.empty()) {
    char t[] = "/tmp/paramscale-bench-XXXXXX";
    if (!mkdtemp(t)) return failure("cannot create a temporary directory for exported models");
    tmp_ = t;
  }
  auto run = rundir::read_run_dir(run_dir);
  if (!run.ok()) return run.error();
  const std::string path = tmp_ + "/" + std::to_string(done_.size()) + ".onnx";
  if (auto m = onnx_export::write_onnx(path, run->network, run->weights); !m.ok()) return m.error();
  return done_[run_dir] = path;
}

}  // namespace paramscale::cli
