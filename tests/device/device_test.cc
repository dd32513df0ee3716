// Device tests against a real OpenSSH server on loopback (tests/support/sshd.h) and the real
// x86-64 device bundle (scripts/build-bundle.sh x86_64; scripts/test.sh builds it first): bench on
// a device gives the local record plus the device; files are pushed by content once; every fault
// (unknown device, refused, wrong host key, failed authentication, wrong-architecture bundle,
// full disk, unwritable directory, killed or hung measurement) is one line and leaves no partial
// file. No timed assertions: latency is only checked to exist.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/run_command.h"
#include "support/sshd.h"
#include "support/temp_dir.h"
#include "util/sha256.h"
#include "util/version.h"

namespace paramscale::test {
namespace {

using nlohmann::json;

std::string bundle_dir() {
  const std::string exe = PARAMSCALE_BINARY;
  return exe.substr(0, exe.rfind('/')) + "/bundles";
}

std::string bundle_for(const std::string& arch) {
  return bundle_dir() + "/paramscale-" + std::string(PARAMSCALE_VERSION) + "-linux-" + arch +
         ".tar.gz";
}

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sshd_.ok()) GTEST_SKIP() << sshd_.problem();
    if (!exists(bundle_for("x86_64")))
      GTEST_SKIP() << "no x86-64 device bundle at " << bundle_for("x86_64")
                   << " (scripts/build-bundle.sh x86_64; scripts/test.sh builds it)";
    model_ = dir_ / "tiny.onnx";
    // A seed of its own, so tests running side by side (ctest -j) never measure the same file,
    // and one test's pkill cannot hit another's measurement.
    const auto r = run_paramscale(
        "export --model vgg11 --dataset cifar10 --widths "
        "8,16,32,32,64,64,64,64 --seed " +
        std::to_string(getpid()) + " -o " + model_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    write_devices({sshd_.device_json("localhost-x86", dir_ / "work")});
  }

  void write_devices(const std::vector<std::string>& entries) {
    std::string list;
    for (const auto& e : entries) list += (list.empty() ? "" : ",") + e;
    std::ofstream(dir_ / "devices.json")
        << "{\"schema\": \"paramscale.devices/1\", \"devices\": [" << list << "]}";
  }

  CommandResult bench(const std::string& device, const std::string& extra = "",
                      const std::string& min_seconds = "0.2") {
    return run_paramscale("bench " + model_ + " --device " + device + " --devices " +
                          (dir_ / "devices.json") + " --threads 1 --min-seconds " + min_seconds +
                          " --min-runs 5 " + extra);
  }

  // The measurement process itself (the bundle's binary, started in the device's working
  // directory) — not the ssh client, the remote shell or `timeout`, whose command lines hold
  // the same words.
  std::string measurement_pattern() {
    return "'^bundles/[0-9a-f]*/[^ ]*/bin/paramscale bench-child.*" + sha256_file(model_).value() +
           "'";
  }

  // The one-line failure contract for device faults: exit 1 (or 2 for bad input), nothing on
  // stdout, one line on stderr that contains `part`.
  static void expect_one_line_failure(const CommandResult& r, const std::string& part,
                                      int code = 1) {
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
    EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
  }

  std::vector<std::string> blobs() {
    std::vector<std::string> names;
    const auto r = run_command("ls " + (dir_ / "work/blobs") + " 2>/dev/null");
    std::stringstream in(r.out);
    for (std::string n; std::getline(in, n);) names.push_back(n);
    return names;
  }

  Sshd sshd_;
  TempDir dir_;
  std::string model_;
};

TEST_F(DeviceTest, BenchOnDeviceGivesTheLocalRecordPlusTheDevice) {
  const auto remote = bench("localhost-x86", "--json " + (dir_ / "remote.json"));
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  const auto local = bench("local", "--json " + (dir_ / "local.json"));
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const json r = json::parse(slurp(dir_ / "remote.json"))[0];
  const json l = json::parse(slurp(dir_ / "local.json"))[0];
  // Same record: every top-level section of a local record is there.
  for (const auto& [key, value] : l.items()) EXPECT_TRUE(r.contains(key)) << key;
  EXPECT_EQ(r["device"]["name"], "localhost-x86");
  EXPECT_EQ(r["device"]["arch"], "x86_64");
  EXPECT_EQ(r["device"]["emulated"], false);
  EXPECT_EQ(r["device"]["bundle_sha256"], sha256_file(bundle_for("x86_64")).value());
  EXPECT_EQ(l["device"]["name"], "local");
  EXPECT_EQ(r["model"]["path"], model_);
  EXPECT_EQ(r["model"]["sha256"], l["model"]["sha256"]);
  EXPECT_EQ(r["validity"]["timings_valid"], true);
  EXPECT_GT(r["latency_ms"]["median"].get<double>(), 0);
  EXPECT_GE(r["latency_ms"]["runs"].get<int>(), 5);
  EXPECT_GT(r["memory"]["runtime_memory_bytes"].get<int64_t>(), 0);
  EXPECT_TRUE(r["board"].contains("throttling"));
  // The bundle's ONNX Runtime computes what the host's does (same x86-64 library).
  const auto rv = r["output"]["values"].get<std::vector<float>>();
  const auto lv = l["output"]["values"].get<std::vector<float>>();
  ASSERT_EQ(rv.size(), 10u);
  ASSERT_EQ(lv.size(), rv.size());
  for (size_t i = 0; i < rv.size(); ++i) EXPECT_NEAR(rv[i], lv[i], 1e-5f) << i;
  // The table names the device.
  EXPECT_NE(remote.out.find("| localhost-x86"), std::string::npos) << remote.out;
}

TEST_F(DeviceTest, FilesArePushedByContentOnlyOnce) {
  ASSERT_EQ(bench("localhost-x86").exit_code, 0);
  const auto first = blobs();
  const std::string model_blob = dir_ / ("work/blobs/" + sha256_file(model_).value() + ".onnx");
  ASSERT_TRUE(exists(model_blob));
  EXPECT_EQ(sha256_file(model_blob).value(), sha256_file(model_).value());
  struct stat before {};
  ::stat(model_blob.c_str(), &before);
  ASSERT_EQ(bench("localhost-x86").exit_code, 0);
  struct stat after {};
  ::stat(model_blob.c_str(), &after);
  EXPECT_EQ(blobs(), first);  // model + bundle, nothing new, no temp files
  EXPECT_EQ(first.size(), 2u);
  EXPECT_EQ(before.st_ino, after.st_ino);  // not rewritten
}

// The aarch64 bundle on an "aarch64 device" that is this machine's sshd with trixie's static
// qemu-aarch64 as the command prefix: a complete record whose outputs match x86-64's, marked
// emulated, and no latency printed as a timing.
TEST_F(DeviceTest, Aarch64BundleUnderQemuMatchesX86AndIsMarkedEmulated) {
  const std::string exe = PARAMSCALE_BINARY;
  const std::string qemu = exe.substr(0, exe.rfind('/')) + "/deps/qemu-10/qemu-aarch64";
  if (!exists(bundle_for("aarch64")))
    GTEST_SKIP() << "no aarch64 bundle at " << bundle_for("aarch64");
  if (!exists(qemu)) GTEST_SKIP() << "no qemu-aarch64 at " << qemu << " (scripts/install-deps.sh)";
  json a64 = json::parse(sshd_.device_json("emulated-a64", dir_ / "work"));
  a64["arch"] = "aarch64";
  a64["prefix"] = qemu + " -L /usr/aarch64-linux-gnu -cpu cortex-a72";
  write_devices({a64.dump(), sshd_.device_json("localhost-x86", dir_ / "work")});
  const auto r = bench("emulated-a64,localhost-x86", "--json " + (dir_ / "both.json"), "0.5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json all = json::parse(slurp(dir_ / "both.json"));
  ASSERT_EQ(all.size(), 2u);
  const json& arm = all[0]["device"]["name"] == "emulated-a64" ? all[0] : all[1];
  const json& x86 = all[0]["device"]["name"] == "emulated-a64" ? all[1] : all[0];
  EXPECT_EQ(arm["device"]["arch"], "aarch64");
  EXPECT_EQ(arm["device"]["kernel_arch"], "x86_64");
  EXPECT_EQ(arm["device"]["emulated"], true);
  EXPECT_EQ(arm["environment"]["build_arch"], "aarch64");
  EXPECT_EQ(arm["validity"]["timings_valid"], false);
  EXPECT_EQ(arm["validity"]["reasons"][0].get<std::string>().rfind("emulated", 0), 0u);
  EXPECT_EQ(x86["validity"]["timings_valid"], true);
  for (const auto& [key, value] : x86.items()) EXPECT_TRUE(arm.contains(key)) << key;
  const auto av = arm["output"]["values"].get<std::vector<float>>();
  const auto xv = x86["output"]["values"].get<std::vector<float>>();
  ASSERT_EQ(av.size(), 10u);
  ASSERT_EQ(xv.size(), av.size());
  for (size_t i = 0; i < av.size(); ++i) EXPECT_NEAR(av[i], xv[i], 1e-4f) << i;
  // The table prints "emulated" where the emulated device's latency would be.
  EXPECT_NE(r.out.find("| emulated-a64  |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| emulated "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("timings not valid: emulated"), std::string::npos) << r.err;
}

TEST_F(DeviceTest, UnknownDeviceIsBadInput) {
  const auto r = bench("nosuch");
  expect_one_line_error(r, "unknown device 'nosuch'");
  EXPECT_NE(r.err.find("localhost-x86"), std::string::npos) << r.err;
}

TEST_F(DeviceTest, ConnectionRefused) {
  write_devices({"{\"name\": \"gone\", \"host\": \"127.0.0.1\", \"port\": " +
                 std::to_string(free_loopback_port()) + ", \"connect_timeout\": 5}"});
  expect_one_line_failure(bench("gone"), "connection refused");
}

TEST_F(DeviceTest, WrongHostKey) {
  std::ofstream(dir_ / "wrong_known_hosts")
      << "[127.0.0.1]:" << sshd_.port() << " "
      << run_command("cut -d' ' -f1,2 " + sshd_.path("other_key.pub")).out;
  json d = json::parse(sshd_.device_json("spoofed", dir_ / "work"));
  d["known_hosts"] = dir_ / "wrong_known_hosts";
  write_devices({d.dump()});
  expect_one_line_failure(bench("spoofed"), "host key verification failed");
}

TEST_F(DeviceTest, AuthenticationFailure) {
  json d = json::parse(sshd_.device_json("stranger", dir_ / "work"));
  d["identity"] = sshd_.path("other_key");  // not in authorized_keys
  write_devices({d.dump()});
  expect_one_line_failure(bench("stranger"), "authentication failed");
}

TEST_F(DeviceTest, BundleOfTheWrongArchitecture) {
  // The device says aarch64 but runs an x86-64 kernel with no emulator: the bundle cannot run.
  if (!exists(bundle_for("aarch64")))
    GTEST_SKIP() << "no aarch64 bundle at " << bundle_for("aarch64");
  json d = json::parse(sshd_.device_json("misdeclared", dir_ / "work"));
  d["arch"] = "aarch64";
  write_devices({d.dump(), sshd_.device_json("localhost-x86", dir_ / "work")});
  expect_one_line_failure(bench("misdeclared"), "wrong architecture");
  // An explicit bundle for another architecture than the device's is refused before pushing.
  expect_one_line_failure(bench("localhost-x86", "--bundle " + bundle_for("aarch64")),
                          "is for aarch64, the device runs x86_64", 2);
}

TEST_F(DeviceTest, FullDiskLeavesNoPartialFile) {
  const std::string small = dir_ / "small";
  ::mkdir(small.c_str(), 0755);
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a 1 MB tmpfs here (needs root)";
  json d = json::parse(sshd_.device_json("full", small + "/work"));
  write_devices({d.dump()});
  const auto r = bench("full");
  umount(small.c_str());
  expect_one_line_failure(r, "No space left on device");
  EXPECT_NE(r.err.find("cannot store"), std::string::npos) << r.err;
}

TEST_F(DeviceTest, FullDiskNothingLeftBehind) {
  const std::string small = dir_ / "small2";
  ::mkdir(small.c_str(), 0755);
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a 1 MB tmpfs here (needs root)";
  write_devices({sshd_.device_json("full", small + "/work")});
  bench("full");
  const auto left = run_command("find " + small + "/work -type f").out;
  umount(small.c_str());
  EXPECT_EQ(left, "") << "partial files left on the device";
}

TEST_F(DeviceTest, UnwritableWorkingDirectory) {
  std::ofstream(dir_ / "a-file") << "x";
  write_devices({sshd_.device_json("readonly", dir_ / "a-file/work")});
  expect_one_line_failure(bench("readonly"), "is not writable");
}

TEST_F(DeviceTest, MeasurementKilledMidRun) {
  std::thread killer([&] {
    // Wait for the measurement process on the "device", then kill it.
    for (int i = 0; i < 600; ++i) {
      const auto r = run_command("pkill -KILL -f " + measurement_pattern() + " && echo killed");
      if (r.out.find("killed") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const auto r = bench("localhost-x86", "", "60");
  killer.join();
  expect_one_line_failure(r, "killed by signal 9");
}

TEST_F(DeviceTest, HungMeasurementTimesOut) {
  // A measurement that outlives --timeout is killed on the device by its `timeout`.
  expect_one_line_failure(bench("localhost-x86", "--timeout 3", "60"), "did not finish within 3 s");
  EXPECT_EQ(run_command("pgrep -f " + measurement_pattern()).out, "");  // nothing left running
}

TEST_F(DeviceTest, HungDeviceTimesOut) {
  // A device that accepts the TCP connection and then says nothing (no ssh banner).
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  listen(fd, 4);
  write_devices({"{\"name\": \"mute\", \"host\": \"127.0.0.1\", \"port\": " +
                 std::to_string(ntohs(a.sin_port)) + ", \"connect_timeout\": 2}"});
  const auto r = bench("mute");
  close(fd);
  expect_one_line_failure(r, "timed out");
}

TEST_F(DeviceTest, DeviceCommandsAddListCheckRemove) {
  const std::string file = dir_ / "mine.json";
  auto r = run_paramscale("device add lo --host 127.0.0.1 --port " + std::to_string(sshd_.port()) +
                          " --user " + sshd_.user() + " --identity " + sshd_.path("client_key") +
                          " --known-hosts " + sshd_.path("known_hosts") + " --workdir " +
                          (dir_ / "w2") + " --devices " + file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_one_line_error(run_paramscale("device add lo --host 127.0.0.1 --devices " + file),
                        "already exists");
  r = run_paramscale("device list --devices " + file);
  EXPECT_NE(r.out.find("| lo "), std::string::npos) << r.out;
  r = run_paramscale("device check lo --devices " + file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("device 'lo'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("median"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x86_64"), std::string::npos) << r.out;
  r = run_paramscale("device check lo --json --devices " + file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_GT(j["info"]["environment"]["logical_cpus"].get<int>(), 0);
  EXPECT_EQ(j["tiny_bench"]["device"]["name"], "lo");
  ASSERT_EQ(run_paramscale("device remove lo --devices " + file).exit_code, 0);
  expect_one_line_error(run_paramscale("device remove lo --devices " + file),
                        "unknown device 'lo'");
  expect_one_line_error(run_paramscale("device add local --host x --devices " + file), "reserved");
  expect_one_line_error(run_paramscale("device add 'a b' --host x --devices " + file),
                        "is not valid");
  expect_one_line_error(run_paramscale("device add p --host x --port 70000 --devices " + file),
                        "port 70000");
  std::ofstream(dir_ / "garbage.json") << "{not json";
  expect_one_line_error(run_paramscale("device list --devices " + (dir_ / "garbage.json")),
                        "is not a JSON object");
}

}  // namespace
}  // namespace paramscale::test

namespace paramscale::test {
namespace {

// A deployment-only study measured here and on the loopback device: both devices' cells finish
// and the report shows both; a device that is down fails only its own cells, and --resume
// measures them once it is back.
class DeviceStudyTest : public DeviceTest {
 protected:
  std::string config(const std::string& devices) {
    const std::string path = dir_ / "study.json";
    std::ofstream(path) << R"({"name": "devices", "dataset": "cifar10", "models": ["vgg11"],
      "methods": ["uniform"], "budgets": ["params:0.1", "params:0.25"], "runtimes": ["ort"],
      "threads": [1], "train": {"enabled": false},
      "bench": {"warmup_runs": 2, "min_runs": 5, "min_seconds": 0.2},
      "devices": )" << devices
                        << R"(, "devices_file": ")" << (dir_ / "devices.json") << R"("})";
    return path;
  }
};

TEST_F(DeviceStudyTest, LocalAndDeviceBothMeasuredAndReported) {
  const auto r = run_paramscale("study --config " + config(R"(["local", "localhost-x86"])") +
                                " -o " + (dir_ / "study"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cells = run_command("ls " + (dir_ / "study/cells") + " | grep -v bench").out;
  EXPECT_NE(cells.find("vgg11.uniform.params-0.1.s0.ort.t1.all.json"), std::string::npos) << cells;
  EXPECT_NE(cells.find("vgg11.uniform.params-0.1.s0.ort.t1.all.on-localhost-x86.json"),
            std::string::npos)
      << cells;
  const json rec = json::parse(
      slurp(dir_ / "study/cells/vgg11.uniform.params-0.25.s0.ort.t1.all.on-localhost-x86.json"));
  EXPECT_EQ(rec["cell"]["device"], "localhost-x86");
  EXPECT_EQ(rec["device"]["name"], "localhost-x86");
  EXPECT_EQ(rec["validity"]["timings_valid"], true);
  const std::string report = slurp(dir_ / "study/report/report.md");
  EXPECT_NE(report.find("on localhost-x86: ort"), std::string::npos) << report;
  EXPECT_NE(report.find("| localhost-x86 |"), std::string::npos) << report;  // environment table
}

TEST_F(DeviceStudyTest, UnreachableDeviceFailsOnlyItsCellsAndResumeRetries) {
  const int port = free_loopback_port();
  json down = json::parse(sshd_.device_json("flaky", dir_ / "work"));
  down["port"] = port;
  write_devices({down.dump()});
  const std::string cfg = config(R"(["local", "flaky"])");
  auto r = run_paramscale("study --config " + cfg + " -o " + (dir_ / "study"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("connection refused"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 cells finished"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 failed"), std::string::npos) << r.err;
  // The device comes back (same name, now reachable): only its cells run on resume.
  write_devices({sshd_.device_json("flaky", dir_ / "work")});
  r = run_paramscale("study --config " + cfg + " -o " + (dir_ / "study") + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 cells finished, 2 skipped"), std::string::npos) << r.err;
}

TEST_F(DeviceStudyTest, UnknownDeviceIsRefusedBeforeAnythingIsCreated) {
  const auto r = run_paramscale("study --config " + config(R"(["local", "nosuch"])") + " -o " +
                                (dir_ / "study"));
  expect_one_line_error(r, "unknown device 'nosuch'");
  EXPECT_FALSE(exists(dir_ / "study"));
}

}  // namespace
}  // namespace paramscale::test
