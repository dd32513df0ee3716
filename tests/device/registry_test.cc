// device/registry and the ssh helpers without a server: file round trip, validation, names.
#include <gtest/gtest.h>

#include <fstream>

#include "device/bundle.h"
#include "device/registry.h"
#include "device/ssh.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale::device {
namespace {

TEST(Registry, RoundTripAndMissingFileIsEmpty) {
  test::TempDir dir;
  const std::string path = dir / "sub/devices.json";
  EXPECT_TRUE(read_devices(path)->empty());
  Device pi;
  pi.name = "pi4";
  pi.host = "192.168.1.20";
  pi.user = "pi";
  pi.port = 2222;
  pi.arch = "aarch64";
  pi.prefix = "taskset -c 3";
  ASSERT_TRUE(write_devices(path, {pi}).ok());
  const auto back = read_devices(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(to_json((*back)[0]), to_json(pi));
  EXPECT_EQ((*back)[0].target(), "pi@192.168.1.20:2222");
  EXPECT_EQ(find_device(*back, "pi4", path)->host, "192.168.1.20");
  const auto unknown = find_device(*back, "jetson", path);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("devices in " + path + ": pi4"), std::string::npos);
}

TEST(Registry, BadFilesNameTheProblem) {
  test::TempDir dir;
  auto check = [&](const std::string& text, const std::string& part) {
    std::ofstream(dir / "d.json") << text;
    const auto r = read_devices(dir / "d.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().exit_code, 2);
    EXPECT_NE(r.error().message.find(part), std::string::npos) << r.error().message;
  };
  const std::string head = "{\"schema\": \"paramscale.devices/1\", \"devices\": ";
  check("[]", "is not a JSON object");
  check("{\"devices\": []}", "schema must be");
  check(head + "{}}", "'devices' must be an array");
  check(head + "[{\"host\": \"x\"}]}", "needs 'name' and 'host'");
  check(head + "[{\"name\": \"a\", \"host\": \"x\", \"colour\": 1}]}", "unknown field 'colour'");
  check(head + "[{\"name\": \"a\", \"host\": \"x\", \"port\": \"22\"}]}", "must be a number");
  check(head + "[{\"name\": \"a\", \"host\": \"x\", \"port\": 22.5}]}", "port must be an integer");
  check(head + "[{\"name\": \"a\", \"host\": \"x\"}, {\"name\": \"a\", \"host\": \"y\"}]}",
        "appears twice");
  check(head + "[{\"name\": \"local\", \"host\": \"x\"}]}", "reserved");
  check(head + "[{\"name\": \"a\", \"host\": \"x; rm -rf /\"}]}", "is not a host name");
  check(head + "[{\"name\": \"a\", \"host\": \"x\", \"arch\": \"riscv\"}]}", "arch 'riscv'");
  check(head + "[{\"name\": \"a\", \"host\": \"x\", \"connect_timeout\": 0}]}", "connect_timeout");
}

TEST(Registry, NormalizeArch) {
  EXPECT_EQ(normalize_arch("arm64"), "aarch64");
  EXPECT_EQ(normalize_arch("aarch64"), "aarch64");
  EXPECT_EQ(normalize_arch("amd64"), "x86_64");
  EXPECT_EQ(normalize_arch("x86_64"), "x86_64");
  EXPECT_EQ(normalize_arch("armv7l"), "armv7l");
}

TEST(Ssh, ShellQuoteSurvivesTheShell) {
  for (const std::string text : {"plain", "it's", "a b\tc", "$(touch /tmp/x)", "'", "\"q\"", ""}) {
    const auto r = test::run_command("printf %s " + shell_quote(text));
    EXPECT_EQ(r.out, text);
  }
}

TEST(Bundle, ArchitectureFromTheName) {
  EXPECT_EQ(bundle_arch_from_name("/x/paramscale-0.1.0-linux-aarch64.tar.gz"), "aarch64");
  EXPECT_EQ(bundle_arch_from_name("paramscale-0.1.0-linux-x86_64.tar.gz"), "x86_64");
  EXPECT_EQ(bundle_arch_from_name("bundle.tar.gz"), "");
  EXPECT_EQ(bundle_arch_from_name("paramscale-0.1.0-linux-riscv64.tar.gz"), "");
  const auto missing = find_bundle("aarch64", "/nonexistent/paramscale-0.1.0-linux-aarch64.tar.gz");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("is not a readable file"), std::string::npos);
}

}  // namespace
}  // namespace paramscale::device
