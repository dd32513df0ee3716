// tests/scaling/reference_data: paths to the NeuralScale authors' published fits and traces (read
// in place, never copied into the repository) and a temp-file helper for malformed-input tests.
#pragma once

#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/run_command.h"

namespace paramscale::test {

inline std::string neuralscale_dir() {
  const std::string dir = reference_dir();
  return dir.empty() ? dir : dir + "/neuralscale";
}

// Writes `text` to a fresh file under /tmp and returns its path.
inline std::string temp_file(const std::string& text, const std::string& suffix) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/paramscale-scaling-test-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  static int n = 0;
  const std::string path = dir + "/f" + std::to_string(n++) + suffix;
  std::ofstream(path) << text;
  return path;
}

}  // namespace paramscale::test
