#include "device/registry.h"

#include <sys/stat.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "util/atomic_file.h"

namespace paramscale::device {

namespace {

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64 || n[0] == '.' || n[0] == '-') return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

// Creates the parent directories of `path` (mode 0700: the file names keys and hosts).
Status make_parents(const std::string& path) {
  for (size_t i = 1; (i = path.find('/', i)) != std::string::npos; ++i) {
    const std::string dir = path.substr(0, i);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return bad_input("cannot create directory " + dir + " for " + path);
  }
  return {};
}

}  // namespace

std::string Device::target() const {
  return (user.empty() ? "" : user + "@") + host + ":" + std::to_string(port);
}

std::string default_devices_path() {
  if (const char* env = std::getenv("PARAMSCALE_DEVICES"); env && *env) return env;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg     ? std::string(xdg)
                           : home && *home ? std::string(home) + "/.config"
                                           : std::string(".");
  return base + "/paramscale/devices.json";
}

std::string normalize_arch(const std::string& m) {
  if (m == "aarch64" || m == "arm64" || m.rfind("armv8", 0) == 0) return "aarch64";
  if (m == "x86_64" || m == "amd64") return "x86_64";
  return m;
}

Status check_device(const Device& d) {
  if (d.name == kLocal)
    return bad_input("device name 'local' is reserved for this machine; choose another name");
  if (!valid_name(d.name))
    return bad_input("device name '" + d.name +
                     "' is not valid (letters, digits, '.', '-', '_'; at most 64)");
  if (d.host.empty() || d.host.find_first_of(" \t\n'\"`$;&|<>") != std::string::npos ||
      d.host[0] == '-')
    return bad_input("device '" + d.name + "': host '" + d.host + "' is not a host name");
  if (d.user.find_first_of(" \t\n'\"`$;&|<>@") != std::string::npos ||
      (!d.user.empty() && d.user[0] == '-'))
    return bad_input("device '" + d.name + "': user '" + d.user + "' is not a user name");
  if (d.port < 1 || d.port > 65535)
    return bad_input("device '" + d.name + "': port " + std::to_string(d.port) +
                     " is not in 1..65535");
  if (d.arch != "auto" && d.arch != "aarch64" && d.arch != "x86_64")
    return bad_input("device '" + d.name + "': arch '" + d.arch +
                     "' is not one of auto, aarch64, x86_64");
  if (d.workdir.empty() || d.workdir.find_first_of("\n'") != std::string::npos)
    return bad_input("device '" + d.name + "': workdir '" + d.workdir + "' is not usable");
  if (d.prefix.find('\n') != std::string::npos)
    return bad_input("device '" + d.name + "': prefix must be one line");
  if (!std::isfinite(d.connect_timeout) || d.connect_timeout < 1 || d.connect_timeout > 600)
    return bad_input("device '" + d.name + "': connect_timeout must be 1..600 seconds");
  return {};
}

nlohmann::json to_json(const Device& d) {
  return {{"name", d.name},         {"host", d.host},
          {"user", d.user},         {"port", d.port},
          {"identity", d.identity}, {"known_hosts", d.known_hosts},
          {"arch", d.arch},         {"workdir", d.workdir},
          {"prefix", d.prefix},     {"connect_timeout", d.connect_timeout}};
}

Result<Device> device_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return bad_input("a device entry is not a JSON object");
  static const std::set<std::string> known = {"name",     "host",           "user", "port",
                                              "identity", "known_hosts",    "arch", "workdir",
                                              "prefix",   "connect_timeout"};
  Device d;
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) return bad_input("device entry has an unknown field '" + key + "'");
    const bool number = key == "port" || key == "connect_timeout";
    if (number ? !value.is_number() : !value.is_string())
      return bad_input("device field '" + key + "' must be a " + (number ? "number" : "string"));
  }
  if (!j.contains("name") || !j.contains("host"))
    return bad_input("device entry needs 'name' and 'host'");
  d.name = j["name"];
  d.host = j["host"];
  d.user = j.value("user", d.user);
  if (j.contains("port")) {
    const double p = j["port"].get<double>();
    if (p != std::floor(p) || p < 1 || p > 65535)
      return bad_input("device '" + d.name + "': port must be an integer in 1..65535");
    d.port = static_cast<int>(p);
  }
  d.identity = j.value("identity", d.identity);
  d.known_hosts = j.value("known_hosts", d.known_hosts);
  d.arch = j.value("arch", d.arch);
  d.workdir = j.value("workdir", d.workdir);
  d.prefix = j.value("prefix", d.prefix);
  d.connect_timeout = j.value("connect_timeout", d.connect_timeout);
  if (Status s = check_device(d); !s.ok()) return s.error();
  return d;
}

Result<std::vector<Device>> read_devices(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::vector<Device>{};  // no file: no devices yet
  if (!S_ISREG(st.st_mode)) return bad_input("devices file " + path + " is not a regular file");
  if (st.st_size > (16 << 20)) return bad_input("devices file " + path + " is too large");
  std::ifstream in(path);
  if (!in) return bad_input("cannot read devices file " + path);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad_input("devices file " + path + " is not a JSON object");
  if (j.value("schema", std::string()) != kDevicesSchema)
    return bad_input("devices file " + path + ": schema must be \"" + kDevicesSchema + "\"");
  if (!j.contains("devices") || !j["devices"].is_array())
    return bad_input("devices file " + path + ": 'devices' must be an array");
  std::vector<Device> out;
  std::set<std::string> names;
  for (const auto& e : j["devices"]) {
    auto d = device_from_json(e);
    if (!d.ok()) return bad_input("devices file " + path + ": " + d.error().message);
    if (!names.insert(d->name).second)
      return bad_input("devices file " + path + ": device '" + d->name + "' appears twice");
    out.push_back(*d);
  }
  return out;
}

Status write_devices(const std::string& path, const std::vector<Device>& devices) {
  nlohmann::json list = nlohmann::json::array();
  for (const Device& d : devices) list.push_back(to_json(d));
  if (Status s = make_parents(path); !s.ok()) return s;
  return write_file_atomic(
      path, nlohmann::json{{"schema", kDevicesSchema}, {"devices", list}}.dump(2) + "\n");
}

Result<Device> find_device(const std::vector<Device>& devices, const std::string& name,
                           const std::string& path) {
  std::string known;
  for (const Device& d : devices) {
    if (d.name == name) return d;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  return bad_input("unknown device '" + name + "' (" +
                   (known.empty() ? "no devices in " + path : "devices in " + path + ": " + known) +
                   "; add one with paramscale device add)");
}

}  // namespace paramscale::device
