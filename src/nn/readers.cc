// IDX (Fashion-MNIST) and CIFAR binary readers; see dataset.h.
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "nn/dataset.h"
#include "util/files.h"

namespace paramscale::nn {

namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using Gz = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// Reads exactly n bytes; false on a short read (truncation) or a gzip error.
Status read_exact(gzFile f, const std::string& path, void* out, size_t n) {
  auto* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, size_t{1} << 30));
    const int got = gzread(f, p, chunk);
    if (got < 0) {
      int code = 0;
      return bad_input(path + ": corrupt gzip data (" + gzerror(f, &code) + ")");
    }
    if (got == 0) return bad_input(path + " is truncated");
    p += got;
    n -= static_cast<size_t>(got);
  }
  return {};
}

// Reads exactly n bytes into `out`, growing it as the data arrives: a header that claims more
// data than the (possibly gzipped) file holds is a truncation error, not an allocation of the
// claimed size first.
Status read_growing(gzFile f, const std::string& path, std::vector<uint8_t>& out, size_t n) {
  constexpr size_t kChunk = size_t{16} << 20;
  out.clear();
  while (out.size() < n) {
    const size_t at = out.size();
    out.resize(at + std::min(kChunk, n - at));
    if (Status s = read_exact(f, path, out.data() + at, out.size() - at); !s) return s;
  }
  return {};
}

Result<std::vector<uint32_t>> read_idx_header(gzFile f, const std::string& path, uint32_t magic,
                                              int rank) {
  uint8_t b[4];
  std::vector<uint32_t> v;
  for (int i = 0; i <= rank; ++i) {
    if (Status s = read_exact(f, path, b, 4); !s) return s.error();
    v.push_back(uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3]);
  }
  if (v[0] != magic) {
    char buf[80];
    std::snprintf(buf, sizeof buf, ": bad IDX magic 0x%08x (expected 0x%08x)", v[0], magic);
    return bad_input(path + buf);
  }
  v.erase(v.begin());
  return v;
}

Result<Gz> open_gz(const std::string& path) {
  // Checked before opening: opening a FIFO would block.
  if (Status s = require_regular_file(path, "dataset file"); !s) return s.error();
  std::ifstream probe(path, std::ios::binary);
  if (!probe) return bad_input("cannot open dataset file " + path);
  Gz f(gzopen(path.c_str(), "rb"));
  if (!f) return bad_input("cannot open dataset file " + path);
  return f;
}

Status expect_end(gzFile f, const std::string& path) {
  uint8_t extra;
  const int got = gzread(f, &extra, 1);
  if (got < 0) return bad_input(path + ": corrupt gzip data");
  if (got > 0) return bad_input(path + " has trailing bytes after its last record");
  return {};
}

}  // namespace

Result<ImageSet> read_idx_images(const std::string& path, int expect_rows, int expect_cols) {
  auto f = open_gz(path);
  if (!f) return f.error();
  auto dims = read_idx_header(f->get(), path, 0x00000803, 3);
  if (!dims) return dims.error();
  const uint32_t n = (*dims)[0], rows = (*dims)[1], cols = (*dims)[2];
  if ((expect_rows && rows != static_cast<uint32_t>(expect_rows)) ||
      (expect_cols && cols != static_cast<uint32_t>(expect_cols)))
    return bad_input(path + ": images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                     ", expected " + std::to_string(expect_rows) + "x" + std::to_string(expect_cols));
  if (n == 0 || n > 10000000 || rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    return bad_input(path + ": implausible IDX dimensions");
  ImageSet set;
  set.channels = 1;
  set.height = static_cast<int>(rows);
  set.width = static_cast<int>(cols);
  if (Status s = read_growing(f->get(), path, set.pixels, size_t{n} * rows * cols); !s)
    return s.error();
  set.labels.assign(n, 0);
  if (Status s = expect_end(f->get(), path); !s) return s.error();
  return set;
}

Result<std::vector<int>> read_idx_labels(const std::string& path, int classes) {
  auto f = open_gz(path);
  if (!f) return f.error();
  auto dims = read_idx_header(f->get(), path, 0x00000801, 1);
  if (!dims) return dims.error();
  const uint32_t n = (*dims)[0];
  if (n == 0 || n > 10000000) return bad_input(path + ": implausible IDX label count");
  std::vector<uint8_t> raw;
  if (Status s = read_growing(f->get(), path, raw, n); !s) return s.error();
  if (Status s = expect_end(f->get(), path); !s) return s.error();
  std::vector<int> labels(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (raw[i] >= classes)
      return bad_input(path + ": label " + std::to_string(raw[i]) + " of item " +
                       std::to_string(i) + " is outside the " + std::to_string(classes) + " classes");
    labels[i] = raw[i];
  }
  return labels;
}

Result<ImageSet> read_cifar_file(const std::string& path, int label_bytes, int classes) {
  if (Status s = require_regular_file(path, "dataset file"); !s) return s.error();
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return bad_input("cannot open dataset file " + path);
  const int64_t bytes = in.tellg();
  if (bytes > kMaxInputFileBytes)
    return bad_input(path + " is larger than any CIFAR binary file (" + std::to_string(bytes) +
                     " bytes)");
  const int64_t record = label_bytes + 3 * 32 * 32;
  if (bytes <= 0 || bytes % record != 0)
    return bad_input(path + " is truncated or not a CIFAR binary file (" + std::to_string(bytes) +
                     " bytes is not a multiple of the " + std::to_string(record) + "-byte record)");
  in.seekg(0);
  std::vector<uint8_t> raw(static_cast<size_t>(bytes));
  if (!in.read(reinterpret_cast<char*>(raw.data()), bytes)) return bad_input(path + " is truncated");
  const int64_t n = bytes / record;
  ImageSet set;
  set.channels = 3;
  set.height = set.width = 32;
  set.pixels.resize(static_cast<size_t>(n * 3072));
  set.labels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* r = raw.data() + i * record;
    const int label = r[label_bytes - 1];
    if (label >= classes)
      return bad_input(path + ": label " + std::to_string(label) + " of record " +
                       std::to_string(i) + " is outside the " + std::to_string(classes) + " classes");
    set.labels[i] = label;
    std::copy(r + label_bytes, r + record, set.pixels.begin() + i * 3072);
  }
  return set;
}

}  // namespace paramscale::nn
