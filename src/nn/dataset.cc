// Dataset loading, splits, synthetic data; see dataset.h.
#include "nn/dataset.h"

#include <algorithm>
#include <fstream>

namespace paramscale::nn {

uint64_t Rng::next() {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<int64_t> permutation(int64_t n, Rng& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[rng.below(static_cast<uint64_t>(i) + 1)]);
  return p;
}

const char* default_fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

PixelLut make_lut(const DataSplits& d) {
  PixelLut lut(d.mean.size());
  for (size_t c = 0; c < lut.size(); ++c)
    for (int v = 0; v < 256; ++v) lut[c][v] = (v / 255.0f - d.mean[c]) / d.stddev[c];
  return lut;
}

void normalize_images(const ImageSet& set, const int64_t* idx, int64_t count, const PixelLut& lut,
                      float* out) {
  const int64_t plane = int64_t{set.height} * set.width;
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* src = &set.pixels[static_cast<size_t>(idx[i] * set.sample_bytes())];
    for (int c = 0; c < set.channels; ++c)
      for (int64_t k = 0; k < plane; ++k) *out++ = lut[c][*src++];
  }
}

ImageSet zero_pad(const ImageSet& in, int pad) {
  ImageSet out;
  out.channels = in.channels;
  out.height = in.height + 2 * pad;
  out.width = in.width + 2 * pad;
  out.labels = in.labels;
  out.pixels.assign(static_cast<size_t>(in.size() * out.sample_bytes()), 0);
  for (int64_t i = 0; i < in.size(); ++i)
    for (int c = 0; c < in.channels; ++c)
      for (int y = 0; y < in.height; ++y) {
        const uint8_t* src = &in.pixels[((i * in.channels + c) * in.height + y) * in.width];
        uint8_t* dst =
            &out.pixels[((i * out.channels + c) * out.height + y + pad) * out.width + pad];
        std::copy(src, src + in.width, dst);
      }
  return out;
}

ImageSet synthetic_images(int64_t count, int classes, uint64_t seed, uint64_t stream) {
  // Each class is a fixed random pattern of 8x8-pixel blocks (from the seed); a sample is its
  // class pattern plus uniform noise, so the task is separable but not trivial pixel by pixel.
  Rng templ{seed ^ 0x5EEDull};
  std::vector<uint8_t> blocks(static_cast<size_t>(classes) * 3 * 16);
  for (auto& b : blocks) b = static_cast<uint8_t>(templ.below(2) ? 150 : 0);
  Rng rng{seed * 0x100000001B3ull + stream};
  ImageSet set;
  set.channels = 3;
  set.height = set.width = 32;
  set.pixels.resize(static_cast<size_t>(count * set.sample_bytes()));
  set.labels.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.below(static_cast<uint64_t>(classes)));
    set.labels[i] = label;
    uint8_t* p = &set.pixels[i * set.sample_bytes()];
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
          *p++ = static_cast<uint8_t>(blocks[(label * 3 + c) * 16 + (y / 8) * 4 + x / 8] +
                                      rng.below(100));
  }
  return set;
}

namespace {

ImageSet take(const ImageSet& src, const std::vector<int64_t>& idx, size_t from, size_t to) {
  ImageSet out;
  out.channels = src.channels;
  out.height = src.height;
  out.width = src.width;
  const int64_t sb = src.sample_bytes();
  out.pixels.resize((to - from) * static_cast<size_t>(sb));
  for (size_t k = from; k < to; ++k) {
    out.labels.push_back(src.labels[idx[k]]);
    std::copy_n(src.pixels.begin() + idx[k] * sb, sb, out.pixels.begin() + (k - from) * sb);
  }
  return out;
}

Status append(ImageSet& dst, ImageSet&& src) {
  if (dst.labels.empty()) {
    dst = std::move(src);
    return {};
  }
  dst.pixels.insert(dst.pixels.end(), src.pixels.begin(), src.pixels.end());
  dst.labels.insert(dst.labels.end(), src.labels.begin(), src.labels.end());
  return {};
}

Result<DataSplits> load_fashion_mnist(const std::string& dir_flag) {
  const std::string dir = dir_flag.empty() ? default_fashion_mnist_dir() : dir_flag;
  DataSplits d;
  d.classes = 10;
  d.mean = {0.2190f};  // training-set statistics of the zero-padded 32x32 images
  d.stddev = {0.3318f};
  for (int part = 0; part < 2; ++part) {
    const std::string prefix = dir + "/" + (part == 0 ? "train" : "t10k");
    auto images = read_idx_images(prefix + "-images-idx3-ubyte.gz");
    if (!images) return images.error();
    auto labels = read_idx_labels(prefix + "-labels-idx1-ubyte.gz", 10);
    if (!labels) return labels.error();
    if (labels->size() != images->labels.size())
      return bad_input(prefix + "-labels-idx1-ubyte.gz has " + std::to_string(labels->size()) +
                       " labels for " + std::to_string(images->labels.size()) + " images");
    images->labels = std::move(*labels);
    (part == 0 ? d.train : d.test) = zero_pad(*images, 2);
  }
  return d;
}

bool exists(const std::string& path) { return static_cast<bool>(std::ifstream(path)); }

Result<DataSplits> load_cifar(const std::string& dir_flag, bool hundred) {
  if (dir_flag.empty())
    return bad_input(std::string("--data-dir is required for ") +
                     (hundred ? "cifar100" : "cifar10") +
                     " (the folder with the binary-format files)");
  const std::string sub = hundred ? "/cifar-100-binary" : "/cifar-10-batches-bin";
  const std::string first = hundred ? "/train.bin" : "/data_batch_1.bin";
  const std::string dir =
      !exists(dir_flag + first) && exists(dir_flag + sub + first) ? dir_flag + sub : dir_flag;
  DataSplits d;
  d.classes = hundred ? 100 : 10;
  d.augment_default = true;
  d.mean = hundred ? std::vector<float>{0.5071f, 0.4865f, 0.4409f}
                   : std::vector<float>{0.4914f, 0.4822f, 0.4465f};
  d.stddev = hundred ? std::vector<float>{0.2673f, 0.2564f, 0.2762f}
                     : std::vector<float>{0.2470f, 0.2435f, 0.2616f};
  std::vector<std::string> train_files;
  if (hundred)
    train_files = {"/train.bin"};
  else
    for (int i = 1; i <= 5; ++i) train_files.push_back("/data_batch_" + std::to_string(i) + ".bin");
  const int label_bytes = hundred ? 2 : 1;
  for (const auto& f : train_files) {
    auto part = read_cifar_file(dir + f, label_bytes, d.classes);
    if (!part) return part.error();
    if (Status s = append(d.train, std::move(*part)); !s) return s.error();
  }
  auto test =
      read_cifar_file(dir + (hundred ? "/test.bin" : "/test_batch.bin"), label_bytes, d.classes);
  if (!test) return test.error();
  d.test = std::move(*test);
  return d;
}

}  // namespace

Result<DataSplits> load_dataset(const DataOptions& o) {
  if (o.subset < 0) return bad_input("--subset must be positive, got " + std::to_string(o.subset));
  if (o.val < 0) return bad_input("--val must not be negative, got " + std::to_string(o.val));
  if (o.test_subset < 0)
    return bad_input("--test-subset must be positive, got " + std::to_string(o.test_subset));
  Result<DataSplits> r =
      bad_input("unknown dataset '" + o.dataset +
                "' (expected fashion-mnist, cifar10, cifar100, tinyimagenet or synthetic)");
  if (o.dataset == "fashion-mnist") {
    r = load_fashion_mnist(o.data_dir);
  } else if (o.dataset == "cifar10" || o.dataset == "cifar100") {
    r = load_cifar(o.data_dir, o.dataset == "cifar100");
  } else if (o.dataset == "synthetic") {
    DataSplits d;
    d.classes = 10;
    d.mean = {0.4902f, 0.4902f, 0.4902f};
    d.stddev = {0.3f, 0.3f, 0.3f};
    d.train = synthetic_images(o.synthetic_train, 10, o.seed, 0);
    d.test = synthetic_images(o.synthetic_test, 10, o.seed, 1);
    r = std::move(d);
  } else if (o.dataset == "tinyimagenet") {
    r = load_tinyimagenet(o.data_dir);
  }
  if (!r) return r;
  DataSplits& d = *r;
  d.name = o.dataset;
  const int64_t n = d.train.size();
  if (o.val >= n)
    return bad_input("--val " + std::to_string(o.val) + " leaves no training images (the set has " +
                     std::to_string(n) + ")");
  if (o.subset > n - o.val)
    return bad_input("--subset " + std::to_string(o.subset) + " is larger than the " +
                     std::to_string(n - o.val) + " training images available");
  if (o.val > 0 || o.subset > 0) {
    Rng rng{o.seed ^ 0xDA7A5E7ull};
    const auto idx = permutation(n, rng);
    const size_t v = static_cast<size_t>(o.val);
    const size_t end = o.subset > 0 ? v + static_cast<size_t>(o.subset) : static_cast<size_t>(n);
    d.val = take(d.train, idx, 0, v);
    d.val.channels = d.train.channels;
    d.train = take(d.train, idx, v, end);
  }
  if (o.test_subset > 0) {
    if (o.test_subset > d.test.size())
      return bad_input("--test-subset " + std::to_string(o.test_subset) + " is larger than the " +
                       std::to_string(d.test.size()) + " test images");
    Rng rng{0x7E57ull};  // not the run's seed: every run of a study evaluates the same images
    const auto idx = permutation(d.test.size(), rng);
    d.test = take(d.test, idx, 0, static_cast<size_t>(o.test_subset));
  }
  return r;
}

}  // namespace paramscale::nn
