// device/registry: the devices paramscale measures on, kept in a small JSON file.
//
// A device is a name bound to an ssh target (user, host, port, identity file, known-hosts file),
// an architecture ("auto" = whatever `uname -m` says on the device), a working directory on the
// device and an optional command prefix for the measured process (`taskset -c 3`, `nice -n -5`, or
// an emulator such as `qemu-aarch64 -L /usr/aarch64-linux-gnu`). The name "local" is reserved for
// the machine paramscale runs on and is never stored.
//
// File format (written atomically, schema versioned):
//   {"schema": "paramscale.devices/1",
//    "devices": [{"name": "pi", "host": "192.168.1.20", "user": "pi", "port": 22,
//                 "identity": "~/.ssh/id_ed25519", "known_hosts": "", "arch": "auto",
//                 "workdir": "paramscale", "prefix": "", "connect_timeout": 10}, ...]}
// A missing file is an empty registry. Every problem (malformed JSON, a wrong field, a duplicate or
// invalid name) is a one-line bad-input Error naming the file and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::device {

inline constexpr const char* kLocal = "local";
inline constexpr const char* kDevicesSchema = "paramscale.devices/1";

struct Device {
  std::string name;
  std::string host;
  std::string user;  // empty: ssh's default (ssh config, then the local user name)
  int port = 22;
  std::string identity;       // private key file; empty: ssh's default keys and agent
  std::string known_hosts;    // known-hosts file; empty: ssh's default (~/.ssh/known_hosts)
  std::string arch = "auto";  // aarch64 | x86_64 | auto
  std::string workdir = "paramscale";  // on the device; relative paths are under the login's home
  std::string prefix;                  // shell words put before the measured command
  double connect_timeout = 10;         // seconds, for the TCP connection and the ssh handshake

  // "user@host:port" as a person would write it.
  std::string target() const;
};

// $PARAMSCALE_DEVICES, else ${XDG_CONFIG_HOME:-$HOME/.config}/paramscale/devices.json
std::string default_devices_path();

Status check_device(const Device& d);  // names, ports, arch, timeouts: one-line errors
nlohmann::json to_json(const Device& d);
Result<Device> device_from_json(const nlohmann::json& j);

Result<std::vector<Device>> read_devices(const std::string& path);
Status write_devices(const std::string& path, const std::vector<Device>& devices);

// The device called `name`; an unknown name is bad input that lists the known ones.
Result<Device> find_device(const std::vector<Device>& devices, const std::string& name,
                           const std::string& path);

// "aarch64" for aarch64/arm64/armv8*, "x86_64" for x86_64/amd64; other names unchanged.
std::string normalize_arch(const std::string& uname_machine);

}  // namespace paramscale::device
