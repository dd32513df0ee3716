// nn/dataset: IDX, CIFAR and TinyImageNet readers against hand-written files, splits, synthetic
// data. jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "nn/dataset.h"
#include "support/temp_dir.h"

using namespace paramscale;
using paramscale::test::TempDir;

namespace {

std::vector<uint8_t> be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  gzclose(f);
}

// IDX images file: magic 0x803, n x rows x cols, pixel (i, y, x) = i + y + x.
std::vector<uint8_t> idx_images(uint32_t n, uint32_t rows, uint32_t cols, uint32_t magic = 0x803) {
  std::vector<uint8_t> b;
  for (uint32_t v : {magic, n, rows, cols})
    for (uint8_t x : be32(v)) b.push_back(x);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t y = 0; y < rows; ++y)
      for (uint32_t x = 0; x < cols; ++x) b.push_back(uint8_t(i + y + x));
  return b;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels, uint32_t magic = 0x801) {
  std::vector<uint8_t> b = be32(magic);
  for (uint8_t x : be32(uint32_t(labels.size()))) b.push_back(x);
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

std::string read_error(const Result<nn::ImageSet>& r) { return r.ok() ? "" : r.error().message; }

}  // namespace

TEST(IdxReader, ReadsHandWrittenFile) {
  TempDir dir;
  write_gz(dir / "img.gz", idx_images(3, 28, 28));
  auto r = nn::read_idx_images(dir / "img.gz");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 3);
  EXPECT_EQ(r->pixels[2 * 784 + 5 * 28 + 7], 2 + 5 + 7);
  const nn::ImageSet padded = nn::zero_pad(*r, 2);
  EXPECT_EQ(padded.height, 32);
  EXPECT_EQ(padded.pixels[2 * 1024 + (5 + 2) * 32 + 7 + 2], 2 + 5 + 7);
  EXPECT_EQ(padded.pixels[2 * 1024 + 0 * 32 + 9], 0);
}

TEST(IdxReader, ReadsUncompressedFileToo) {
  TempDir dir;
  const auto bytes = idx_labels({1, 2, 9});
  std::ofstream(dir / "lab", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto r = nn::read_idx_labels(dir / "lab", 10);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (std::vector<int>{1, 2, 9}));
}

TEST(IdxReader, RejectsBadFilesWithOneLineErrors) {
  TempDir dir;
  write_gz(dir / "magic.gz", idx_images(2, 28, 28, 0x801));
  EXPECT_NE(read_error(nn::read_idx_images(dir / "magic.gz")).find("bad IDX magic 0x00000801"),
            std::string::npos);
  auto trunc = idx_images(2, 28, 28);
  trunc.resize(trunc.size() - 10);
  write_gz(dir / "trunc.gz", trunc);
  EXPECT_NE(read_error(nn::read_idx_images(dir / "trunc.gz")).find("is truncated"),
            std::string::npos);
  auto header_only = idx_images(2, 28, 28);
  header_only.resize(10);
  write_gz(dir / "short.gz", header_only);
  EXPECT_NE(read_error(nn::read_idx_images(dir / "short.gz")).find("is truncated"),
            std::string::npos);
  write_gz(dir / "dims.gz", idx_images(2, 27, 28));
  EXPECT_NE(
      read_error(nn::read_idx_images(dir / "dims.gz")).find("images are 27x28, expected 28x28"),
      std::string::npos);
  auto extra = idx_images(1, 28, 28);
  extra.push_back(0);
  write_gz(dir / "extra.gz", extra);
  EXPECT_NE(read_error(nn::read_idx_images(dir / "extra.gz")).find("trailing bytes"),
            std::string::npos);
  EXPECT_NE(read_error(nn::read_idx_images(dir / "missing.gz")).find("cannot open dataset file"),
            std::string::npos);
  // A gzip stream cut in the middle.
  write_gz(dir / "whole.gz", idx_images(50, 28, 28));
  std::ifstream in(dir / "whole.gz", std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir / "cut.gz", std::ios::binary) << gz.substr(0, gz.size() / 2);
  const std::string cut = read_error(nn::read_idx_images(dir / "cut.gz"));
  EXPECT_TRUE(cut.find("truncated") != std::string::npos ||
              cut.find("corrupt") != std::string::npos)
      << cut;
  for (const std::string& e : {cut, read_error(nn::read_idx_images(dir / "magic.gz"))})
    EXPECT_EQ(e.find('\n'), std::string::npos);

  write_gz(dir / "lab.gz", idx_labels({1, 10}));
  auto lab = nn::read_idx_labels(dir / "lab.gz", 10);
  ASSERT_FALSE(lab.ok());
  EXPECT_NE(lab.error().message.find("label 10 of item 1 is outside the 10 classes"),
            std::string::npos);
  write_gz(dir / "labmagic.gz", idx_labels({1}, 0x803));
  EXPECT_FALSE(nn::read_idx_labels(dir / "labmagic.gz", 10).ok());
}

TEST(FashionMnistLoader, ReadsDirectoryAndChecksCounts) {
  TempDir dir;
  write_gz(dir / "train-images-idx3-ubyte.gz", idx_images(20, 28, 28));
  write_gz(dir / "train-labels-idx1-ubyte.gz", idx_labels(std::vector<uint8_t>(20, 3)));
  write_gz(dir / "t10k-images-idx3-ubyte.gz", idx_images(5, 28, 28));
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(std::vector<uint8_t>(4, 1)));
  nn::DataOptions o;
  o.data_dir = dir.path();
  auto r = nn::load_dataset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("has 4 labels for 5 images"), std::string::npos)
      << r.error().message;
  write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(std::vector<uint8_t>(5, 1)));
  o.val = 4;
  o.subset = 10;
  r = nn::load_dataset(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->train.size(), 10);
  EXPECT_EQ(r->val.size(), 4);
  EXPECT_EQ(r->test.size(), 5);
  EXPECT_EQ(r->train.height, 32);
  EXPECT_EQ(r->val.width, 32);
  EXPECT_FALSE(r->augment_default);
  o.subset = 17;
  EXPECT_FALSE(nn::load_dataset(o).ok());
}

TEST(Splits, DeterministicDisjointAndSeeded) {
  nn::DataOptions o;
  o.dataset = "synthetic";
  o.val = 100;
  o.subset = 300;
  o.seed = 5;
  auto a = nn::load_dataset(o), b = nn::load_dataset(o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->train.pixels, b->train.pixels);
  EXPECT_EQ(a->val.labels, b->val.labels);
  EXPECT_EQ(a->train.size(), 300);
  EXPECT_EQ(a->val.size(), 100);
  // Disjoint: the synthetic samples are distinct, so no val image appears in train.
  const int64_t sb = a->train.sample_bytes();
  for (int64_t v = 0; v < 10; ++v)
    for (int64_t t = 0; t < a->train.size(); ++t)
      EXPECT_FALSE(std::equal(a->val.pixels.begin() + v * sb, a->val.pixels.begin() + (v + 1) * sb,
                              a->train.pixels.begin() + t * sb));
  o.seed = 6;
  auto c = nn::load_dataset(o);
  EXPECT_NE(a->val.labels, c->val.labels);
}

TEST(CifarReader, ReadsRecordsAndRejectsBadFiles) {
  TempDir dir;
  std::vector<uint8_t> rec(2 * 3074);
  rec[0] = 7, rec[1] = 42, rec[2] = 200, rec[3074] = 3, rec[3075] = 99;
  std::ofstream(dir / "c100.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(rec.data()), rec.size());
  auto r = nn::read_cifar_file(dir / "c100.bin", 2, 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->labels, (std::vector<int>{42, 99}));
  EXPECT_EQ(r->pixels[0], 200);
  auto bad = nn::read_cifar_file(dir / "c100.bin", 2, 50);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("label 99 of record 1"), std::string::npos);
  std::ofstream(dir / "short.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(rec.data()), 3000);
  auto t = nn::read_cifar_file(dir / "short.bin", 1, 10);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("truncated"), std::string::npos);
  nn::DataOptions o;
  o.dataset = "cifar10";
  auto missing = nn::load_dataset(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--data-dir is required"), std::string::npos);
}

TEST(FashionMnistLoader, FindsDebianPackageWithoutFlags) {
  if (!std::ifstream(std::string(nn::default_fashion_mnist_dir()) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto r = nn::load_dataset(nn::DataOptions{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->train.size(), 60000);
  EXPECT_EQ(r->test.size(), 10000);
  EXPECT_EQ(r->train.channels, 1);
  EXPECT_EQ(r->train.height, 32);
}

// ---- TinyImageNet: a hand-made tiny-imagenet-200 folder with JPEGs written by libjpeg ----------

namespace {

// A solid-colour JPEG (components 3: rgb; 1: gray = rgb[0]) at quality 100.
void write_jpeg(const std::string& path, int width, int height, int components,
                std::array<uint8_t, 3> rgb) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = width;
  c.image_height = height;
  c.input_components = components;
  c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(width * components));
  for (int x = 0; x < width; ++x)
    for (int k = 0; k < components; ++k) row[x * components + k] = rgb[k];
  while (c.next_scanline < c.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

// Two classes listed unsorted in wnids.txt, two training images each, three validation images.
std::string make_tiny_imagenet(const TempDir& dir) {
  namespace fs = std::filesystem;
  const std::string root = dir / "tiny-imagenet-200";
  fs::create_directories(root + "/train/n02/images");
  fs::create_directories(root + "/train/n01/images");
  fs::create_directories(root + "/val/images");
  std::ofstream(root + "/wnids.txt") << "n02\nn01\n";
  write_jpeg(root + "/train/n01/images/n01_0.JPEG", 64, 64, 3, {200, 100, 50});
  write_jpeg(root + "/train/n01/images/n01_1.JPEG", 64, 64, 1, {90, 0, 0});
  write_jpeg(root + "/train/n02/images/n02_0.JPEG", 64, 64, 3, {10, 20, 30});
  write_jpeg(root + "/train/n02/images/n02_1.JPEG", 64, 64, 3, {40, 50, 60});
  for (int i = 0; i < 3; ++i)
    write_jpeg(root + "/val/images/val_" + std::to_string(i) + ".JPEG", 64, 64, 3, {128, 128, 128});
  std::ofstream(root + "/val/val_annotations.txt")
      << "val_0.JPEG\tn02\t0\t0\t63\t63\nval_1.JPEG\tn01\t1\t2\t3\t4\nval_2."
         "JPEG\tn02\t0\t0\t1\t1\n";
  return root;
}

}  // namespace

TEST(TinyImageNet, ReadsTheStandardLayout) {
  TempDir dir;
  const std::string root = make_tiny_imagenet(dir);
  // The folder itself or its parent.
  for (const std::string& d : {root, std::string(dir.path())}) {
    auto r = nn::load_tinyimagenet(d);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->classes, 2);
    EXPECT_TRUE(r->augment_default);
    ASSERT_EQ(r->train.size(), 4);
    EXPECT_EQ(r->train.channels, 3);
    EXPECT_EQ(r->train.height, 64);
    // Classes in sorted wnid order: n01 = 0, n02 = 1; files in name order within a class.
    EXPECT_EQ(r->train.labels, (std::vector<int>{0, 0, 1, 1}));
    EXPECT_EQ(r->test.labels, (std::vector<int>{1, 0, 1}));
    const auto pixel = [&](int image, int c, int y, int x) {
      return int{r->train.pixels[static_cast<size_t>(image * r->train.sample_bytes() +
                                                     (c * 64 + y) * 64 + x)]};
    };
    EXPECT_NEAR(pixel(0, 0, 10, 20), 200, 2);
    EXPECT_NEAR(pixel(0, 1, 10, 20), 100, 2);
    EXPECT_NEAR(pixel(0, 2, 63, 63), 50, 2);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(pixel(1, c, 5, 5), 90, 2);  // grayscale -> RGB
    EXPECT_NEAR(pixel(3, 2, 0, 0), 60, 2);
  }
  nn::DataOptions o;
  o.dataset = "tinyimagenet";
  o.data_dir = root;
  auto via_options = nn::load_dataset(o);
  ASSERT_TRUE(via_options.ok()) << via_options.error().message;
  EXPECT_EQ(via_options->name, "tinyimagenet");
}

TEST(TinyImageNet, BadFilesAreOneLineErrors) {
  TempDir dir;
  const std::string root = make_tiny_imagenet(dir);
  const auto error_of = [&] {
    auto r = nn::load_tinyimagenet(root);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  // A wrong-size image, a file that is not a JPEG, a truncated JPEG.
  write_jpeg(root + "/train/n01/images/n01_0.JPEG", 32, 64, 3, {1, 2, 3});
  EXPECT_NE(error_of().find("n01_0.JPEG is not a readable 64x64 JPEG: is 32x64"), std::string::npos)
      << error_of();
  std::ofstream(root + "/train/n01/images/n01_0.JPEG", std::ios::trunc) << "not a jpeg";
  EXPECT_NE(error_of().find("n01_0.JPEG is not a readable 64x64 JPEG"), std::string::npos)
      << error_of();
  write_jpeg(root + "/train/n01/images/n01_0.JPEG", 64, 64, 3, {1, 2, 3});
  std::filesystem::resize_file(root + "/train/n01/images/n01_0.JPEG", 200);
  EXPECT_NE(error_of().find("n01_0.JPEG"), std::string::npos) << error_of();
  write_jpeg(root + "/train/n01/images/n01_0.JPEG", 64, 64, 3, {1, 2, 3});
  EXPECT_EQ(error_of(), "ok");
  // An annotation naming a class that wnids.txt lacks; a missing annotation file; no classes.
  std::ofstream(root + "/val/val_annotations.txt") << "val_0.JPEG\tn99\t0\t0\t1\t1\n";
  EXPECT_NE(error_of().find("line 1: class 'n99' is not in wnids.txt"), std::string::npos)
      << error_of();
  std::filesystem::remove(root + "/val/val_annotations.txt");
  EXPECT_NE(error_of().find("cannot open dataset file"), std::string::npos) << error_of();
  std::ofstream(root + "/wnids.txt", std::ios::trunc) << "\n";
  EXPECT_NE(error_of().find("lists no classes"), std::string::npos) << error_of();
  std::ofstream(root + "/wnids.txt", std::ios::trunc) << "n01\nn03\n";
  EXPECT_NE(error_of().find("no training images in"), std::string::npos) << error_of();
}
