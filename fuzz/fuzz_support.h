// fuzz/fuzz_support: what the fuzz targets share.
//
// Readers that take a path get the fuzzer's bytes through a scratch file (one per process, in a
// private temp directory), so the real reader runs end to end: open, size checks, parse.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace paramscale::fuzz {

// A private directory for this process's scratch files, removed when the process exits (a crash
// leaves it, with the input that crashed beside libFuzzer's artifact).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string t = "/tmp/paramscale-fuzz-XXXXXX";
    if (!mkdtemp(t.data())) std::abort();
    return t;
  }();
  static const bool cleanup = [] {
    return std::atexit([] {
             std::error_code ec;
             std::filesystem::remove_all(scratch_dir(), ec);
           }) == 0;
  }();
  (void)cleanup;
  return dir;
}

// Writes the input to scratch_dir()/name and returns its path.
inline std::string scratch_file(const uint8_t* data, size_t size,
                                const std::string& name = "input") {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();
  return path;
}

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A reader's error must be one line (the CLI contract): a message with a newline is a bug the
// fuzzer reports as a crash.
inline void check_one_line(const std::string& message) {
  if (message.empty() || message.find('\n') != std::string::npos) std::abort();
}

}  // namespace paramscale::fuzz
