// nn/dataset: image classification data for training — readers, splits and normalisation.
//
// Torch-free on purpose (the CLI includes it): images are kept as uint8 N x C x H x W in memory and
// turned into normalised float batches by the trainer. Readers:
// - Fashion-MNIST: gzip (or plain) IDX files, by default Debian's dataset-fashion-mnist in
//   /usr/share/datasets/fashion-mnist/; 28x28 images are zero-padded to 32x32 (2 pixels per side);
// - CIFAR-10 / CIFAR-100: the standard binary format (data_batch_*.bin + test_batch.bin, or
//   train.bin + test.bin with coarse+fine labels) in --data-dir or its cifar-*-binary subfolder;
// - synthetic: a seeded, separable 3x32x32, 10-class task for tests (networks built as CIFAR-10).
// - TinyImageNet: the tiny-imagenet-200 folder layout, JPEG images (load_tinyimagenet below);
// Every reader returns a one-line Error for missing files, wrong magic numbers or sizes, truncation
// and labels outside the class count. Splits are deterministic functions of the seed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::nn {

struct ImageSet {
  int channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // size() * channels * height * width, sample-major
  std::vector<int> labels;
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t sample_bytes() const { return int64_t{channels} * height * width; }
};

struct DataSplits {
  std::string name;
  int classes = 0;
  ImageSet train, val, test;
  std::vector<float> mean, stddev;  // per channel, on [0, 1] pixel values
  bool augment_default = false;     // random crop + flip are on by default for CIFAR-like data
};

struct DataOptions {
  std::string dataset =
      "fashion-mnist";      // fashion-mnist | cifar10 | cifar100 | tinyimagenet | synthetic
  std::string data_dir;     // empty: the default location (Fashion-MNIST only)
  int64_t subset = 0;       // >0: keep this many training images (after the val split)
  int64_t test_subset = 0;  // >0: keep this many test images, the same ones for every seed
  int64_t val = 0;          // images held out of the training set for validation
  uint64_t seed = 0;        // drives the split and the synthetic data
  int64_t synthetic_train = 512, synthetic_test = 256;
};

const char* default_fashion_mnist_dir();

// Reads the dataset and makes the train / val / test splits.
Result<DataSplits> load_dataset(const DataOptions& options);

// IDX readers (exposed for tests). Images must be 28x28 unless expect_rows/cols are 0.
Result<ImageSet> read_idx_images(const std::string& path, int expect_rows = 28,
                                 int expect_cols = 28);
Result<std::vector<int>> read_idx_labels(const std::string& path, int classes);
// One CIFAR binary file: label_bytes 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine; fine is used).
Result<ImageSet> read_cifar_file(const std::string& path, int label_bytes, int classes);
// One size x size JPEG as a 3-channel image (grayscale JPEGs become RGB); other sizes are errors.
Result<ImageSet> read_jpeg_image(const std::string& path, int size);
// TinyImageNet in its standard tiny-imagenet-200 layout (in `dir` or its tiny-imagenet-200
// subfolder): classes are wnids.txt's ids in sorted order; train/<wnid>/images/*.JPEG is the
// training set and val/images with val/val_annotations.txt the test set (the official test split
// has no public labels). 64x64 RGB.
Result<DataSplits> load_tinyimagenet(const std::string& dir);

// Class patterns depend on seed only; samples on (seed, stream): train and test share patterns.
ImageSet synthetic_images(int64_t count, int classes, uint64_t seed, uint64_t stream);
ImageSet zero_pad(const ImageSet& images, int pad);

// Per-channel lookup table from a uint8 pixel to its normalised float, (v / 255 - mean) / stddev:
// the one normalisation of training, evaluation and calibration (torch-free so the runtimes'
// callers share it).
using PixelLut = std::vector<std::array<float, 256>>;
PixelLut make_lut(const DataSplits& data);

// Images idx[0..count) of `set`, normalised through `lut`, into out (count x C x H x W floats).
void normalize_images(const ImageSet& set, const int64_t* idx, int64_t count, const PixelLut& lut,
                      float* out);

// A portable seeded generator (splitmix64) for shuffles, splits and augmentation.
struct Rng {
  uint64_t state;
  uint64_t next();
  uint64_t below(uint64_t n) { return next() % n; }
};
std::vector<int64_t> permutation(int64_t n, Rng& rng);

}  // namespace paramscale::nn
