// Issue 17: paramscale as a hostile user drives it. One table of bad inputs per class, each a
// one-line error with exit code 2 (expect_one_line_error), and what must not happen around it:
// no device or FIFO replaced, no hang on a FIFO, no allocation of a declared size first.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/run_command.h"
#include "support/temp_dir.h"

using paramscale::test::expect_one_line_error;
using paramscale::test::run_paramscale;

namespace {

// Hostile input files, made once per test process: a FIFO, files that claim far more than they
// hold, etc. Commands must leave this directory exactly as it is.
const std::set<std::string> kInputs = {"fifo", "huge.psw", "1e999.json", "good.csv"};

const paramscale::test::TempDir& reliability_scratch() {
  static const paramscale::test::TempDir dir;
  static const bool made = [] {
    ::mkfifo((dir / "fifo").c_str(), 0644);
    // A weights file whose one tensor claims 2^32 floats (16 GiB) in a 33-byte file.
    std::string w("PSWEIGHT", 8);
    const auto u32 = [&](uint32_t v) { w.append(reinterpret_cast<const char*>(&v), 4); };
    u32(1), u32(1), u32(1), w += "w", u32(1);
    const int64_t dim = int64_t{1} << 32;
    w.append(reinterpret_cast<const char*>(&dim), 8);
    std::ofstream(dir / "huge.psw", std::ios::binary) << w;
    std::ofstream(dir / "1e999.json") << R"({"iterations": [{"alpha": [1e999,1,1,1,1,1,1,1],
        "beta": [0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]}]})";
    std::ofstream(dir / "good.csv") << "8,8,8,8,8,8,8,8\n16,16,16,16,16,16,16,9\n";
    return true;
  }();
  (void)made;
  return dir;
}

std::string at(const std::string& name) { return reliability_scratch() / name; }

const std::string kVgg1 = " --model vgg11 --widths 1,1,1,1,1,1,1,1 ";

struct BadInput {
  std::string args;
  std::string message;
};
std::ostream& operator<<(std::ostream& o, const BadInput& b) { return o << b.args; }

class Reliability : public ::testing::TestWithParam<BadInput> {};

TEST_P(Reliability, OneLineErrorExit2AndTouchesNothing) {
  expect_one_line_error(run_paramscale(GetParam().args), GetParam().message);
  // No output, temp file or study directory was made, and the FIFO is still a FIFO.
  std::set<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(reliability_scratch().path()))
    entries.insert(e.path().filename().string());
  EXPECT_EQ(entries, kInputs);
  struct stat st {};
  ASSERT_EQ(::stat(at("fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// Class 1 (crashes) and 5 (bad values silently accepted): thread counts, seeds, batches.
INSTANTIATE_TEST_SUITE_P(
    Class1And5BadValues, Reliability,
    ::testing::Values(
        BadInput{"bench " + at("good.csv") + " --threads 100000", "--threads: 100000 is more"},
        BadInput{"bench " + at("good.csv") + " --threads -1", "--threads"},
        BadInput{"bench " + at("good.csv") + " --seed -1", "non-negative integer, got '-1'"},
        BadInput{"export" + kVgg1 + "--seed -1 -o " + at("x.onnx"), "non-negative integer"},
        BadInput{"arch --model vgg11 --batch 2000000", "--batch must be an integer from 1 to"},
        BadInput{"bench " + at("good.csv") + " --batch 2000000", "--batch: 2000000 is more"}));

// Class 2 (size claims trusted before reading): refused from the file's real length.
INSTANTIATE_TEST_SUITE_P(Class2SizeClaims, Reliability,
                         ::testing::Values(BadInput{
                             "export" + kVgg1 + "--weights " + at("huge.psw") + " -o " +
                                 at("y.onnx"),
                             "claims 4294967296 values; the file is truncated or damaged"}));

// Class 3 (hangs): a FIFO as any input is refused at once.
INSTANTIATE_TEST_SUITE_P(
    Class3Fifos, Reliability,
    ::testing::Values(
        BadInput{"bench " + at("fifo"), "is neither a regular file nor a run directory"},
        BadInput{"fit --model vgg11 --trace " + at("fifo"), "is a FIFO, not a regular file"},
        BadInput{"scale --model vgg11 --method neuralscale --budget params:0.5 --fit " + at("fifo"),
                 "is a FIFO, not a regular file"},
        BadInput{"export" + kVgg1 + "--weights " + at("fifo") + " -o " + at("z.onnx"),
                 "is a FIFO, not a regular file"},
        BadInput{"study --config " + at("fifo") + " -o " + at("s"),
                 "is a FIFO, not a regular file"}));

// Class 4 (writing over device nodes and FIFOs): refused, the node stays what it was.
INSTANTIATE_TEST_SUITE_P(
    Class4NonRegularTargets, Reliability,
    ::testing::Values(BadInput{"fit --model vgg11 --trace " + at("good.csv") + " -o " + at("fifo"),
                               "is not a regular file (a FIFO); refusing to replace it"},
                      BadInput{"export" + kVgg1 + "-o " + at("fifo"), "refusing to replace it"},
                      BadInput{"bench " + at("good.csv") + " --json " + at("fifo"),
                               "--json: " + at("fifo") + " exists and is not a regular file"}));

// Class 6 (wrong exit code or many lines): huge sizes name the limit; a raw JSON exception never.
INSTANTIATE_TEST_SUITE_P(
    Class6Limits, Reliability,
    ::testing::Values(
        BadInput{"arch --model vgg11 --widths 200000,8,8,8,8,8,8,8",
                 "must be an integer from 1 to 131072, got 200000"},
        BadInput{"export --model vgg11 --widths 100000,100000,100000,8,8,8,8,8 -o " + at("w.onnx"),
                 "parameters, more than the 1073741824 paramscale builds weights for"},
        BadInput{"scale --model vgg11 --method neuralscale --budget params:0.5 --fit " +
                     at("1e999.json"),
                 "is not valid JSON (a number is out of range)"}));

// Class 5: activation bytes of the largest batch and widths allowed do not overflow int64.
TEST(Reliability, ArchActivationBytesStayPositiveAtTheLimits) {
  const auto r = run_paramscale(
      "arch --model vgg11 --widths 131072,131072,131072,131072,131072,131072,131072,131072 "
      "--batch 1048576 --json --totals");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto totals = nlohmann::json::parse(r.out)["totals"];
  for (const char* k : {"params", "macs", "activation_sum_bytes", "peak_activation_bytes"}) {
    ASSERT_TRUE(totals.contains(k)) << k;
    EXPECT_GT(totals[k].get<double>(), 0) << k;
  }
}

}  // namespace
