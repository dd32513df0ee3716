// The device bundles (scripts/build-bundle.sh; scripts/test.sh always builds both): every ELF file
// needs glibc 2.31 at most and nothing outside the bundle but glibc; the manifest describes the
// files; the tarball is reproducible; and `bench` gives a complete record — natively (x86-64),
// under qemu-user (aarch64), and on bullseye's glibc 2.31 itself. Emulated timings are
// meaningless: only the record's completeness is checked, never a number.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/run_command.h"
#include "util/sha256.h"

using nlohmann::json;
using paramscale::test::run_command;
using paramscale::test::slurp;

namespace {

const std::string kBundles = PARAMSCALE_BUNDLES_DIR;
const std::string kDeps = PARAMSCALE_DEPS;
const std::string kVersion = PARAMSCALE_VERSION_STRING;
// The goal: Ubuntu 20.04 (JetPack 5) has glibc 2.31. The brief's hard limit was 2.35.
const std::string kGlibcGoal = "2.31";

struct Arch {
  const char* name;     // as in the bundle's name
  const char* debarch;  // Debian's name (the sysroot's)
  const char* machine;  // readelf -h "Machine:"
  const char* ld_path;  // glibc's dynamic loader, relative to the root
};
const Arch kArches[] = {{"x86_64", "amd64", "X86-64", "lib64/ld-linux-x86-64.so.2"},
                        {"aarch64", "arm64", "AArch64", "lib/ld-linux-aarch64.so.1"}};

void PrintTo(const Arch& a, std::ostream* os) { *os << a.name; }

// A scratch path of this test process: ctest runs these tests as parallel processes.
std::string scratch(const std::string& name) {
  return ::testing::TempDir() + "/paramscale-bundle-" + std::to_string(getpid()) + "-" + name;
}

std::string bundle_dir(const Arch& a) {
  return kBundles + "/paramscale-" + kVersion + "-linux-" + a.name;
}
bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// "2.17" < "2.28" < "2.31": numeric, field by field.
bool version_le(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string p, q;
  for (;;) {
    const bool has_p = static_cast<bool>(std::getline(x, p, '.'));
    const bool has_q = static_cast<bool>(std::getline(y, q, '.'));
    if (!has_p) return true;
    if (!has_q) return false;
    if (std::stoi(p) != std::stoi(q)) return std::stoi(p) < std::stoi(q);
  }
}

const std::set<std::string> kGlibcLibraries = {"libc.so.6",
                                               "libm.so.6",
                                               "libdl.so.2",
                                               "libpthread.so.0",
                                               "librt.so.1",
                                               "ld-linux-x86-64.so.2",
                                               "ld-linux-aarch64.so.1"};

// Symbol versions from readelf -V: those `file` needs, per library ("libc.so.6" -> {"GLIBC_2.17",
// ...}), and those it defines (a library's own: "GLIBCXX_3.4.28", ...).
struct Versions {
  std::map<std::string, std::set<std::string>> needed;
  std::set<std::string> defined;
};

Versions symbol_versions(const std::string& file) {
  const auto r = run_command("readelf -W -V '" + file + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Versions v;
  std::istringstream in(r.out);
  std::string line, library;
  enum { kOther, kNeeds, kDefinitions } section = kOther;
  const std::regex file_re("File: (\\S+)"), name_re("Name: (\\S+)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("Version ", 0) == 0)
      section = line.rfind("Version needs", 0) == 0        ? kNeeds
                : line.rfind("Version definition", 0) == 0 ? kDefinitions
                                                           : kOther;
    if (section == kNeeds && std::regex_search(line, m, file_re)) library = m[1];
    if (section != kOther && std::regex_search(line, m, name_re)) {
      if (section == kNeeds)
        v.needed[library].insert(m[1]);
      else
        v.defined.insert(m[1]);
    }
  }
  return v;
}

// The highest GLIBC_ version `file` needs from glibc's own libraries ("" if none).
std::string glibc_floor(const std::string& file) {
  std::string floor;
  for (const auto& [library, versions] : symbol_versions(file).needed) {
    if (!kGlibcLibraries.count(library)) continue;
    for (const auto& v : versions)
      if (v.rfind("GLIBC_", 0) == 0 && std::isdigit(static_cast<unsigned char>(v[6])) &&
          !version_le(v.substr(6), floor))
        floor = v.substr(6);
  }
  return floor;
}

// readelf -d entries of one tag: (NEEDED) → library names, (RUNPATH) → the path.
std::vector<std::string> dynamic_entries(const std::string& file, const std::string& tag) {
  const auto r = run_command("readelf -W -d '" + file + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const size_t t = line.find("(" + tag + ")"), open = line.find('[');
    if (t != std::string::npos && open != std::string::npos)
      out.push_back(line.substr(open + 1, line.rfind(']') - open - 1));
  }
  return out;
}

std::vector<std::string> bundle_files(const std::string& dir) {
  const auto r =
      run_command("cd '" + dir + "' && find . -type f | sed 's|^\\./||' | LC_ALL=C sort");
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class Bundle : public ::testing::TestWithParam<Arch> {
 protected:
  void SetUp() override {
    dir_ = bundle_dir(GetParam());
    if (!exists(dir_ + "/bin/paramscale"))
      GTEST_SKIP() << "the " << GetParam().name << " bundle was not built (" << dir_
                   << "): run scripts/build-bundle.sh " << GetParam().name
                   << " (scripts/test.sh does)";
  }
  std::string dir_;
};

std::string arch_name(const ::testing::TestParamInfo<Arch>& p) { return p.param.name; }

TEST_P(Bundle, EveryElfNeedsAtMostGlibc231) {
  for (const auto& f : bundle_files(dir_)) {
    if (f == "MANIFEST.json") continue;
    const std::string floor = glibc_floor(dir_ + "/" + f);
    std::cout << GetParam().name << " bundle: " << f << " needs GLIBC_" << floor << "\n";
    EXPECT_FALSE(floor.empty()) << f << " needs no glibc version at all?";
    EXPECT_TRUE(version_le(floor, "2.35")) << f << " needs GLIBC_" << floor;
    EXPECT_TRUE(version_le(floor, kGlibcGoal)) << f << " needs GLIBC_" << floor;
    const auto h = run_command("readelf -h '" + dir_ + "/" + f + "'");
    EXPECT_NE(h.out.find(GetParam().machine), std::string::npos) << f << ": " << h.out;
  }
}

TEST_P(Bundle, NeedsNothingOutsideTheBundleButGlibc) {
  const auto files = bundle_files(dir_);
  std::set<std::string> shipped;
  for (const auto& f : files)
    if (f.rfind("lib/", 0) == 0) shipped.insert(f.substr(4));
  EXPECT_EQ(shipped,
            (std::set<std::string>{"libgcc_s.so.1", "libonnxruntime.so.1", "libstdc++.so.6"}));
  for (const auto& f : files) {
    if (f == "MANIFEST.json") continue;
    for (const auto& needed : dynamic_entries(dir_ + "/" + f, "NEEDED"))
      EXPECT_TRUE(shipped.count(needed) || kGlibcLibraries.count(needed))
          << f << " needs " << needed << ", which is neither in the bundle nor part of glibc";
  }
  // Every symbol version a file needs from a shipped library is one that library defines (the
  // bundled libstdc++ is gcc 10's: nothing may need a newer GLIBCXX_ or CXXABI_).
  std::map<std::string, std::set<std::string>> defined;
  for (const auto& lib : shipped) defined[lib] = symbol_versions(dir_ + "/lib/" + lib).defined;
  for (const auto& f : files) {
    if (f == "MANIFEST.json") continue;
    for (const auto& [library, versions] : symbol_versions(dir_ + "/" + f).needed) {
      if (!defined.count(library)) continue;
      for (const auto& v : versions) {
        EXPECT_TRUE(defined[library].count(v)) << f << " needs " << v << " from " << library;
      }
    }
  }
  EXPECT_TRUE(defined["libstdc++.so.6"].count("GLIBCXX_3.4.28"));  // gcc 10's, not newer
  EXPECT_FALSE(defined["libstdc++.so.6"].count("GLIBCXX_3.4.29"));
  EXPECT_EQ(dynamic_entries(dir_ + "/bin/paramscale", "RUNPATH"),
            std::vector<std::string>{"$ORIGIN/../lib"});
  if (std::string(GetParam().name) == "x86_64") {
    // The loader resolves the shipped libraries to the bundle's copies, not the machine's.
    const auto r = run_command("LD_TRACE_LOADED_OBJECTS=1 '" + dir_ + "/bin/paramscale'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& lib : shipped)
      EXPECT_NE(r.out.find(lib + " => " + dir_ + "/bin/../lib/" + lib), std::string::npos) << r.out;
  }
  EXPECT_TRUE(dynamic_entries(dir_ + "/bin/paramscale", "RPATH").empty());
  // Stripped: no symbol table, and no path of the build machine left in the binary.
  const auto sections = run_command("readelf -W -S '" + dir_ + "/bin/paramscale'");
  EXPECT_EQ(sections.out.find(".symtab"), std::string::npos);
  EXPECT_EQ(slurp(dir_ + "/bin/paramscale").find(PARAMSCALE_SOURCE_DIR), std::string::npos);
}

TEST_P(Bundle, ManifestDescribesEveryFileAndTheTarballIsReproducible) {
  const json m = json::parse(slurp(dir_ + "/MANIFEST.json"));
  EXPECT_EQ(m["schema"], "paramscale.bundle/1");
  EXPECT_EQ(m["paramscale_version"], kVersion);
  EXPECT_EQ(m["arch"], GetParam().name);
  EXPECT_EQ(m["onnxruntime_version"], "1.30.0");
  EXPECT_EQ(m["sysroot"]["suite"], "bullseye");
  EXPECT_EQ(m["sysroot"]["packages"]["libc6"], "2.31-13+deb11u11");
  std::vector<std::string> listed;
  std::string floor;
  for (const auto& f : m["files"]) {
    const std::string path = f["path"];
    listed.push_back(path);
    const auto sha = paramscale::sha256_file(dir_ + "/" + path);
    ASSERT_TRUE(sha.ok()) << sha.error().message;
    EXPECT_EQ(f["sha256"], *sha) << path;
    EXPECT_EQ(f["size"].get<int64_t>(), static_cast<int64_t>(slurp(dir_ + "/" + path).size()));
    EXPECT_EQ(f["glibc_floor"], glibc_floor(dir_ + "/" + path)) << path;
    if (!version_le(f["glibc_floor"], floor)) floor = f["glibc_floor"];
  }
  EXPECT_EQ(m["glibc_floor"], floor);
  auto files = bundle_files(dir_);
  files.erase(std::remove(files.begin(), files.end(), "MANIFEST.json"), files.end());
  EXPECT_EQ(listed, files);

  // The tarball holds the directory, and packing it again the same way gives the same bytes.
  const std::string name = "paramscale-" + kVersion + "-linux-" + GetParam().name;
  const std::string tarball = kBundles + "/" + name + ".tar.gz";
  ASSERT_TRUE(exists(tarball));
  const std::string again = scratch("again.tar.gz");
  const auto r = run_command(
      "LC_ALL=C tar --sort=name --mtime=@0 --owner=0 --group=0 "
      "--numeric-owner --format=gnu -C '" +
      kBundles + "' -cf - " + name + " | gzip -n -9 > '" + again + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = paramscale::sha256_file(again), b = paramscale::sha256_file(tarball);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b) << "the tarball differs from a fresh reproducible pack of the bundle directory";
  std::remove(again.c_str());
}

// A small VGG-11 exported by the host paramscale (seeded weights), once per test process and
// removed when it ends.
std::string test_model() {
  struct Model {
    std::string path = scratch("vgg11.onnx");
    Model() {
      const auto r = run_command(std::string(PARAMSCALE_BINARY) +
                                 " export --model vgg11 --dataset cifar10 --budget width:0.25 "
                                 "--seed 1 -o " +
                                 path);
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    ~Model() { std::remove(path.c_str()); }
  };
  static const Model model;
  return model.path;
}

// Runs `prefix bin/paramscale bench MODEL ... --json F` and checks the one record it writes.
void expect_complete_record(const std::string& dir, const std::string& prefix,
                            const std::string& extra, const std::string& machine,
                            const std::string& glibc) {
  const std::string model = test_model();
  const std::string out = scratch("bench.json");
  std::remove(out.c_str());
  const auto r = run_command(prefix + dir + "/bin/paramscale bench " + model +
                             " --min-seconds 0.2 --json " + out + extra);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json all = json::parse(slurp(out));
  std::remove(out.c_str());
  ASSERT_EQ(all.size(), 1u);
  const json& rec = all[0];
  EXPECT_FALSE(rec.contains("error")) << rec.dump();
  EXPECT_EQ(rec["schema"], "paramscale.bench/1");
  EXPECT_EQ(rec["runtime"]["name"], "onnxruntime");
  EXPECT_EQ(rec["runtime"]["version"], "1.30.0");
  const auto sha = paramscale::sha256_file(model);
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  EXPECT_EQ(rec["model"]["sha256"], *sha);
  EXPECT_EQ(rec["model"]["input_shape"], json({1, 3, 32, 32}));
  EXPECT_EQ(rec["model"]["opset"], 13);
  EXPECT_GT(rec["model"]["weight_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(rec["output"]["shape"], json({1, 10}));
  const json& l = rec["latency_ms"];
  EXPECT_GE(l["runs"].get<int>(), 30);
  EXPECT_EQ(rec["timings_ms"].size(), l["runs"].get<size_t>());
  for (const char* k : {"min", "median", "p90", "p99", "max", "mean"})
    EXPECT_GT(l[k].get<double>(), 0) << k;
  for (const char* k : {"baseline", "after_runtime_init", "after_session", "after_runs"})
    EXPECT_GT(rec["memory"][k]["vm_rss"].get<int64_t>(), 0) << k;
  EXPECT_TRUE(rec["memory"]["runtime_memory_bytes"].is_number());
  EXPECT_EQ(rec["layout"]["convs"], 8) << rec["layout"].dump();
  EXPECT_EQ(rec["environment"]["machine"], machine);
  // The C library the record says it ran on ("" for: any).
  if (!glibc.empty()) {
    EXPECT_EQ(rec["environment"]["glibc"], glibc);
  }
  EXPECT_FALSE(rec["environment"]["glibc"].get<std::string>().empty());
  EXPECT_NE(rec["environment"]["compiler"].get<std::string>().find("gcc"), std::string::npos);
}

std::string host_glibc() {
  const auto r = run_command("getconf GNU_LIBC_VERSION");
  return r.out.substr(r.out.find(' ') + 1, r.out.find_last_not_of("\n") - r.out.find(' '));
}

// Lines on stderr, without the one ONNX Runtime's CPU detection prints when the library loads under
// qemu-user (qemu's emulated /proc/cpuinfo names no vendor; a real board's does).
int error_lines(const std::string& err) {
  std::istringstream in(err);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    n += line.rfind("onnxruntime cpuid_info warning: Unknown CPU vendor", 0) != 0;
  return n;
}

std::string qemu() {
  const std::string q = kDeps + "/qemu-10/qemu-aarch64";
  EXPECT_TRUE(exists(q)) << q << " is missing: scripts/install-deps.sh fetches it";
  return q;
}

TEST_P(Bundle, BenchGivesACompleteRecord) {
  if (std::string(GetParam().name) == "x86_64") {
    // Natively, with the usual fresh child process per measurement.
    expect_complete_record(dir_, "", "", "x86_64", host_glibc());
  } else {
    // qemu-user runs the binary, but the binary cannot re-execute itself there (the host kernel
    // cannot exec an aarch64 ELF): the measurement runs in the bench process (--in-process).
    // bookworm's glibc 2.36 from libc6-arm64-cross; trixie's qemu (bookworm's 7.2 crashes ORT).
    expect_complete_record(dir_, qemu() + " -L /usr/aarch64-linux-gnu -cpu cortex-a72 ",
                           " --in-process", "aarch64", "");
  }
}

TEST_P(Bundle, BenchRunsOnBullseyesGlibc231) {
  const std::string sysroot = kDeps + "/sysroot-bullseye-" + GetParam().debarch;
  ASSERT_TRUE(exists(sysroot + "/" + GetParam().ld_path))
      << "no bullseye sysroot in " << sysroot << " (scripts/build-bundle.sh makes it)";
  if (std::string(GetParam().name) == "x86_64") {
    // bullseye's own dynamic loader and libc; the bundle's lib/ through its RUNPATH. /proc/self/exe
    // is the loader here, so the measurement runs in-process.
    expect_complete_record(dir_,
                           sysroot + "/" + GetParam().ld_path + " --library-path " + sysroot +
                               "/lib/x86_64-linux-gnu ",
                           " --in-process", "x86_64", "2.31");
  } else {
    expect_complete_record(dir_, qemu() + " -L " + sysroot + " -cpu cortex-a72 ", " --in-process",
                           "aarch64", "2.31");
  }
}

TEST_P(Bundle, RunDirectoriesAndSeveralCellsInProcessAreOneLineErrors) {
  const std::string prefix =
      std::string(GetParam().name) == "x86_64" ? "" : qemu() + " -L /usr/aarch64-linux-gnu ";
  auto r = run_command(prefix + dir_ + "/bin/paramscale bench " + ::testing::TempDir() +
                       " --in-process");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("this device build measures .onnx files; export run directories on the "
                       "host"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(error_lines(r.err), 1) << r.err;
  r = run_command(prefix + dir_ + "/bin/paramscale bench " + test_model() +
                  " --threads 1,2 --in-process");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--in-process measures one cell per process"), std::string::npos) << r.err;
  r = run_command(prefix + dir_ + "/bin/paramscale bench " + test_model() + " --runtime opencv");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("one of: ort)"), std::string::npos) << r.err;
  if (std::string(GetParam().name) == "aarch64") {
    // Under qemu-user the usual child process cannot start; the error says what to do instead.
    r = run_command(prefix + dir_ + "/bin/paramscale bench " + test_model());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("use bench --in-process"), std::string::npos) << r.err;
    EXPECT_EQ(error_lines(r.err), 1) << r.err;
  }
  r = run_command(prefix + dir_ + "/bin/paramscale export --help");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("unknown command 'export'"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Arches, Bundle, ::testing::ValuesIn(kArches), arch_name);

}  // namespace
