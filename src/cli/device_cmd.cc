// paramscale device add|list|remove|check: the devices `bench --device` and `study` measure on.
//
// add/remove edit the devices file (device/registry.h; --devices FILE, default in the user's
// config directory) and never connect. check connects, reports what the device is (architecture,
// board, CPU, cores, memory, governor, temperature, throttling), pushes the bundle for its
// architecture and benches a tiny seeded network there once, so a user knows the whole path works
// before a study relies on it. Emulated devices (an emulator prefix) get no timing in the output.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "arch/families.h"
#include "arch/weights.h"
#include "cli/command.h"
#include "cli/table.h"
#include "device/session.h"
#include "export/onnx_export.h"

namespace paramscale::cli {

namespace {

namespace dv = paramscale::device;
using nlohmann::json;

struct DeviceArgs {
  std::string devices_path = dv::default_devices_path();
  dv::Device device;
  bool replace = false, as_json = false;
  std::string bundle;
};

std::vector<dv::Device> load(const DeviceArgs& a) {
  return unwrap(dv::read_devices(a.devices_path));
}

int run_add(const DeviceArgs& a) {
  unwrap(dv::check_device(a.device));
  auto devices = load(a);
  bool replaced = false;
  for (auto& d : devices) {
    if (d.name != a.device.name) continue;
    if (!a.replace)
      fail_usage("device '" + d.name + "' already exists in " + a.devices_path +
                 " (use --replace to change it)");
    d = a.device;
    replaced = true;
  }
  if (!replaced) devices.push_back(a.device);
  unwrap(dv::write_devices(a.devices_path, devices));
  std::cout << (replaced ? "replaced" : "added") << " device '" << a.device.name << "' ("
            << a.device.target() << ", arch " << a.device.arch << ") in " << a.devices_path << '\n';
  return 0;
}

int run_list(const DeviceArgs& a) {
  const auto devices = load(a);
  if (a.as_json) {
    json list = json::array();
    for (const auto& d : devices) list.push_back(dv::to_json(d));
    std::cout << list.dump(2) << '\n';
    return 0;
  }
  if (devices.empty()) {
    std::cout << "no devices in " << a.devices_path << " (add one with paramscale device add)\n";
    return 0;
  }
  Table t({"name", "target", "arch", "workdir", "prefix"});
  for (const auto& d : devices)
    t.add({d.name, d.target(), d.arch, d.workdir, d.prefix.empty() ? "-" : d.prefix});
  t.print(std::cout);
  return 0;
}

int run_remove(const DeviceArgs& a) {
  auto devices = load(a);
  unwrap(dv::find_device(devices, a.device.name, a.devices_path));
  std::vector<dv::Device> kept;
  for (const auto& d : devices)
    if (d.name != a.device.name) kept.push_back(d);
  unwrap(dv::write_devices(a.devices_path, kept));
  std::cout << "removed device '" << a.device.name << "' from " << a.devices_path << '\n';
  return 0;
}

// A tiny VGG-11 (1/8 width, CIFAR shapes, seeded weights): enough to prove the path end to end.
std::string tiny_model(const std::string& dir) {
  const arch::Family f = unwrap(arch::family_from_name("vgg11"));
  std::vector<int> widths = arch::base_widths(f);
  for (int& w : widths) w = std::max(1, w / 8);
  const arch::Network net =
      unwrap(arch::build_network(f, unwrap(arch::dataset_preset("cifar10")), widths));
  const std::string path = dir + "/tiny-vgg11.onnx";
  unwrap(onnx_export::write_onnx(path, net, arch::random_weights(net, 1)));
  return path;
}

std::string temperature_text(const json& board) {
  std::string t;
  const json temps = board.value("temperatures_c", json::object());  // kept alive for the loop
  for (const auto& [zone, c] : temps.items())
    t += (t.empty() ? "" : ", ") + zone + " " + fixed(c.get<double>(), 1) + " C";
  return t.empty() ? "not reported" : t;
}

int run_check(const DeviceArgs& a) {
  const dv::Device d = unwrap(dv::find_device(load(a), a.device.name, a.devices_path));
  dv::Session session(d, a.bundle);
  unwrap(session.open());
  const json info = unwrap(session.device_info());
  char tmp[] = "/tmp/paramscale-check-XXXXXX";
  if (!mkdtemp(tmp)) throw CliError{failure("cannot create a temporary directory")};
  const std::string model = tiny_model(tmp);
  runtime::MeasureRequest request{model, {}, {}};
  request.backend.threads = std::max(1, info["environment"].value("cpus_allowed", 1));
  request.protocol.min_seconds = 1.0;
  auto record = session.measure(request, 300);
  std::remove(model.c_str());
  rmdir(tmp);
  const json rec = unwrap(std::move(record));
  const json& env = info["environment"];
  const json& board = info["board"];
  if (a.as_json) {
    std::cout << json{{"device", session.describe()}, {"info", info}, {"tiny_bench", rec}}.dump(2)
              << '\n';
    return 0;
  }
  const bool valid = rec["validity"].value("timings_valid", false);
  std::string bench = "vgg11 width:0.125 cifar10 seeded, " + rec["runtime"].value("name", "") +
                      " " + rec["runtime"].value("version", "") + ", " +
                      std::to_string(request.backend.threads) + " thread(s): ";
  bench += valid ? "median " + fixed(rec["latency_ms"]["median"].get<double>(), 3) + " ms, " +
                       "runtime memory " +
                       megabytes(rec["memory"]["runtime_memory_bytes"].get<int64_t>()) + " MB"
                 : "ran (" + rec["validity"]["reasons"][0].get<std::string>() + ")";
  std::cout << "device '" << d.name << "' (" << d.target() << "): ok\n"
            << "  kernel       " << env.value("kernel", "?") << " ("
            << session.describe()["kernel_arch"].get<std::string>() << ")\n"
            << "  bundle       " << session.arch()
            << (session.emulated() ? ", emulated through '" + d.prefix + "'" : "") << "\n"
            << "  board        " << env.value("board_model", std::string("not reported")) << "\n"
            << "  cpu          " << env.value("cpu_model", "?") << ", "
            << env.value("cpus_allowed", 0) << " cpu(s) allowed, "
            << megabytes(env.value("mem_total_bytes", int64_t{0})) << " MB memory\n"
            << "  governor     "
            << (board["governor"].is_string() ? board["governor"].get<std::string>()
                                              : "not reported")
            << (board["cur_khz"].is_number()
                    ? ", " + std::to_string(board["cur_khz"].get<int64_t>() / 1000) + " MHz"
                    : "")
            << "\n"
            << "  temperature  " << temperature_text(board) << "\n"
            << "  throttling   " << rec["board"]["throttling"].value("method", "?") << ": "
            << rec["board"]["throttling"].value("detail", "?") << "\n"
            << "  tiny bench   " << bench << '\n';
  return 0;
}

void add_target_options(CLI::App* cmd, DeviceArgs* a) {
  cmd->add_option("--host", a->device.host, "Host name or address")->required();
  cmd->add_option("--user", a->device.user, "Login user (default: ssh's)");
  cmd->add_option("--port", a->device.port, "ssh port")->capture_default_str();
  cmd->add_option("--identity", a->device.identity, "Private key file (default: ssh's)");
  cmd->add_option("--known-hosts", a->device.known_hosts,
                  "known_hosts file holding the device's host key (default: ssh's)");
  cmd->add_option("--arch", a->device.arch, "auto, aarch64 or x86_64")->capture_default_str();
  cmd->add_option("--workdir", a->device.workdir, "Working directory on the device")
      ->capture_default_str();
  cmd->add_option("--prefix", a->device.prefix,
                  "Put before the measured command, e.g. 'taskset -c 3' or an emulator");
  cmd->add_option("--connect-timeout", a->device.connect_timeout, "Seconds")->capture_default_str();
  cmd->add_flag("--replace", a->replace, "Replace a device of the same name");
}

}  // namespace

void add_device_command(CLI::App& app, Action* action) {
  auto a = std::make_shared<DeviceArgs>();
  CLI::App* cmd =
      app.add_subcommand("device", "Devices to measure on over ssh: add, list, remove, check");
  cmd->require_subcommand(1);
  CLI::App* add = cmd->add_subcommand("add", "Add a device (does not connect)");
  add->add_option("name", a->device.name, "Device name")->required();
  add_target_options(add, a.get());
  add->add_option("--devices", a->devices_path, "Devices file")->capture_default_str();
  add->callback([action, a] { *action = [a] { return run_add(*a); }; });
  CLI::App* list = cmd->add_subcommand("list", "List the devices");
  list->add_flag("--json", a->as_json, "JSON instead of a table");
  list->add_option("--devices", a->devices_path, "Devices file")->capture_default_str();
  list->callback([action, a] { *action = [a] { return run_list(*a); }; });
  CLI::App* remove = cmd->add_subcommand("remove", "Remove a device");
  remove->add_option("name", a->device.name, "Device name")->required();
  remove->add_option("--devices", a->devices_path, "Devices file")->capture_default_str();
  remove->callback([action, a] { *action = [a] { return run_remove(*a); }; });
  CLI::App* check = cmd->add_subcommand(
      "check", "Connect, describe the device, push the bundle and bench a tiny model once");
  check->add_option("name", a->device.name, "Device name")->required();
  check->add_option("--bundle", a->bundle, "Bundle tarball (default: the one for its arch)");
  check->add_flag("--json", a->as_json, "JSON instead of text");
  check->add_option("--devices", a->devices_path, "Devices file")->capture_default_str();
  check->callback([action, a] { *action = [a] { return run_check(*a); }; });
}

}  // namespace paramscale::cli
