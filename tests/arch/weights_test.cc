// The weights file reader refuses damaged files with one line, whatever the bytes claim.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "arch/weights.h"
#include "support/temp_dir.h"

namespace paramscale::arch {
namespace {

// A file with one tensor named "w" whose header claims `shape`; `values` floats follow.
std::string weights_bytes(const std::vector<int64_t>& shape, size_t values) {
  std::string b = "PSWEIGHT";
  auto u32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  u32(1);
  u32(1);
  u32(1);
  b += "w";
  u32(static_cast<uint32_t>(shape.size()));
  for (int64_t d : shape) b.append(reinterpret_cast<const char*>(&d), 8);
  b.append(values * sizeof(float), '\0');
  return b;
}

Result<Weights> read_bytes(const test::TempDir& dir, const std::string& bytes) {
  const std::string path = dir / "w.psw";
  std::ofstream(path, std::ios::binary) << bytes;
  return read_weights(path);
}

TEST(WeightsFile, ReadsWhatWasWritten) {
  test::TempDir dir;
  Weights w;
  w["features.conv1.weight"] = Tensor{{2, 1, 1, 3}, {1, 2, 3, 4, 5, 6}};
  w["classifier.bias"] = Tensor{{0}, {}};
  ASSERT_TRUE(write_weights(dir / "w.psw", w).ok());
  auto back = read_weights(dir / "w.psw");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at("features.conv1.weight").shape, (std::vector<int64_t>{2, 1, 1, 3}));
  EXPECT_EQ(back->at("features.conv1.weight").data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(back->at("classifier.bias").data.empty());
}

TEST(WeightsFile, HandMadeFileMatchesTheDocumentedLayout) {
  test::TempDir dir;
  auto w = read_bytes(dir, weights_bytes({2, 3}, 6));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->at("w").elements(), 6);
}

// Two dimensions each under the element cap whose product overflows int64 (the fuzzer's input:
// 4294967050 x 4294967296) must be refused, not multiplied.
TEST(WeightsFile, DimensionsWhoseProductOverflowsAreRefused) {
  test::TempDir dir;
  for (const auto& shape : std::vector<std::vector<int64_t>>{
           {4294967050, 4294967296}, {65536, 65536, 2}, {-1, 4}, {int64_t{1} << 33}}) {
    auto w = read_bytes(dir, weights_bytes(shape, 4));
    ASSERT_FALSE(w.ok()) << shape.size();
    EXPECT_NE(w.error().message.find("impossible shape"), std::string::npos) << w.error().message;
    EXPECT_EQ(w.error().message.find('\n'), std::string::npos);
  }
}

TEST(WeightsFile, ClaimsBeyondTheFileAndBadMagicAreRefused) {
  test::TempDir dir;
  auto more = read_bytes(dir, weights_bytes({4, 4}, 15));
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().message.find("claims 16 values"), std::string::npos)
      << more.error().message;
  std::string bytes = weights_bytes({2}, 2);
  bytes[0] = 'X';
  auto magic = read_bytes(dir, bytes);
  ASSERT_FALSE(magic.ok());
  EXPECT_NE(magic.error().message.find("bad magic"), std::string::npos) << magic.error().message;
}

}  // namespace
}  // namespace paramscale::arch
