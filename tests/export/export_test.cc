// export/ units: determinism, gates, fixed batch, bad weights, atomic writes, sha256.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "arch/families.h"
#include "export/onnx_export.h"
#include "support/run_command.h"
#include "util/sha256.h"

namespace paramscale {
namespace {

arch::Network small(arch::Family f = arch::Family::VGG11, bool gated = false) {
  std::vector<int> w = arch::base_widths(f);
  for (int& x : w) x = std::max(1, x / 8);
  return *arch::build_network(f, *arch::dataset_preset("cifar10"), w, gated);
}

std::string temp_dir() {
  char tmpl[] = "/tmp/paramscale-export-test-XXXXXX";
  return ::mkdtemp(tmpl);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST(ExportOnnx, SameInputsSameBytes) {
  const arch::Network net = small(arch::Family::MobileNetV2);
  const auto a = onnx_export::export_onnx(net, arch::random_weights(net, 3));
  const auto b = onnx_export::export_onnx(net, arch::random_weights(net, 3));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->bytes, b->bytes);
  const auto c = onnx_export::export_onnx(net, arch::random_weights(net, 4));
  EXPECT_NE(a->bytes, c->bytes);
}

TEST(ExportOnnx, GatesAreDroppedSoGatedAndPlainNetworksExportTheSameBytes) {
  for (arch::Family f : arch::all_families()) {
    const arch::Network plain = small(f), gated = small(f, true);
    ASSERT_GT(gated.layers.size(), plain.layers.size());
    const arch::Weights w = arch::random_weights(plain, 5);
    const auto a = onnx_export::export_onnx(plain, w), b = onnx_export::export_onnx(gated, w);
    ASSERT_TRUE(a.ok() && b.ok()) << arch::family_name(f);
    EXPECT_EQ(a->bytes, b->bytes) << arch::family_name(f);
  }
}

TEST(ExportOnnx, BatchDimensionDynamicOrFixed) {
  const arch::Network net = small();
  const arch::Weights w = arch::random_weights(net, 0);
  for (int64_t batch : {0, 1, 8}) {
    const auto m = onnx_export::export_onnx(net, w, {batch, false});
    ASSERT_TRUE(m.ok()) << m.error().message;
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(m->bytes));
    ASSERT_EQ(model.graph().input_size(), 1);
    ASSERT_EQ(model.graph().output_size(), 1);
    const auto& in = model.graph().input(0);
    const auto& out = model.graph().output(0);
    EXPECT_EQ(in.name(), "input");
    EXPECT_EQ(out.name(), "logits");
    const auto& d_in = in.type().tensor_type().shape().dim(0);
    const auto& d_out = out.type().tensor_type().shape().dim(0);
    if (batch == 0) {
      EXPECT_EQ(d_in.dim_param(), "batch");
      EXPECT_EQ(d_out.dim_param(), "batch");
    } else {
      EXPECT_EQ(d_in.dim_value(), batch);
      EXPECT_EQ(d_out.dim_value(), batch);
    }
    EXPECT_EQ(in.type().tensor_type().shape().dim_size(), 4);
    EXPECT_EQ(out.type().tensor_type().shape().dim(1).dim_value(), 10);
  }
  EXPECT_EQ(onnx_export::export_onnx(net, w, {-1, false}).error().exit_code, 2);
}

TEST(ExportOnnx, WeightsThatDoNotFitAreBadInput) {
  const arch::Network net = small();
  arch::Weights w = arch::random_weights(net, 0);
  w["features.conv1.weight"].shape[0] += 1;
  auto r = onnx_export::export_onnx(net, w);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().exit_code, 2);
  EXPECT_NE(r.error().message.find("features.conv1.weight"), std::string::npos)
      << r.error().message;
  w = arch::random_weights(net, 0);
  w.erase("classifier.bias");
  r = onnx_export::export_onnx(net, w);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("lack tensor 'classifier.bias'"), std::string::npos);
}

TEST(ExportOnnx, WriteIsAtomicAndLeavesNothingOnError) {
  const std::string dir = temp_dir();
  const arch::Network net = small();
  const auto m = onnx_export::write_onnx(dir + "/m.onnx", net, arch::random_weights(net, 0));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(test::slurp(dir + "/m.onnx"), m->bytes);
  const auto bad =
      onnx_export::write_onnx(dir + "/no/such/dir/m.onnx", net, arch::random_weights(net, 0));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().exit_code, 2);
  EXPECT_NE(bad.error().message.find("No such file or directory"), std::string::npos);
  arch::Weights w = arch::random_weights(net, 0);
  w.begin()->second.data.pop_back();
  EXPECT_FALSE(onnx_export::write_onnx(dir + "/bad.onnx", net, w).ok());
  EXPECT_FALSE(exists(dir + "/bad.onnx"));
  EXPECT_EQ(test::run_command("ls " + dir).out, "m.onnx\n");  // no temp files left
  test::run_command("rm -rf " + dir);
}

TEST(ExportSha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_hex(std::string(64, 'x')), sha256_hex(std::string(63, 'x') + "x"));
}

TEST(ExportSha256, FileDigestMatchesBytesAndSha256sum) {
  const std::string dir = temp_dir();
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes += static_cast<char>(i * 7 % 256);
  std::ofstream(dir + "/f", std::ios::binary) << bytes;
  const auto h = sha256_file(dir + "/f");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, sha256_hex(bytes));
  EXPECT_EQ(test::run_command("sha256sum " + dir + "/f | cut -c1-64").out, *h + "\n");
  EXPECT_EQ(sha256_file(dir + "/missing").error().exit_code, 2);
  test::run_command("rm -rf " + dir);
}

}  // namespace
}  // namespace paramscale
