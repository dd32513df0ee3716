// device/session: measuring on a device over ssh — the host orchestrates, the device measures.
//
// A Session talks to one device for the life of one paramscale command:
//   open()     connects once: the kernel's architecture (`uname -m`), the tools the remote side
//              needs (tar, gzip, timeout, ...), a writable working directory;
//   install()  pushes the device bundle for the device's architecture and unpacks it (once per
//              bundle content); device_info() runs it there (`paramscale device-info`), which
//              proves it can execute and returns the device's environment and board state;
//   push()     copies a file to the device by content (WORKDIR/blobs/<sha256><ext>): nothing is
//              sent twice, uploads are verified with sha256sum where the device has it, and a
//              failed upload leaves no partial file;
//   measure()  runs one measurement as a fresh process on the device (`bench-child`, the same
//              protocol and record as a local bench), under the device's command prefix and a
//              `timeout` there, with no network in the timed loop; the record comes back on ssh's
//              stdout and names the device.
// Remote layout: WORKDIR/{blobs,bundles/<sha256>/<top dir>}. Every failure is one line naming the
// device: unreachable, host key, authentication, wrong-architecture bundle, disk full or
// unwritable directory, a measurement killed or hung. A device whose kernel runs another
// architecture than the bundle (an emulator prefix) is marked emulated, and its timings invalid.
// Not thread-safe: one thread drives one Session (one measurement at a time per device).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "device/bundle.h"
#include "device/registry.h"
#include "device/ssh.h"
#include "runtime/measure.h"

namespace paramscale::device {

class Session {
 public:
  Session(Device device, std::string bundle_path = "");

  Status open();
  Result<std::string> install();  // the bundle's binary, relative to the working directory
  Result<nlohmann::json> device_info();
  Result<std::string> push(const std::string& local_path, const std::string& ext);
  Result<nlohmann::json> measure(const runtime::MeasureRequest& request, double timeout_seconds);

  const Device& device() const { return ssh_.device(); }
  const std::string& arch() const { return arch_; }
  bool emulated() const { return !kernel_arch_.empty() && kernel_arch_ != arch_; }
  // The record's "device" block.
  nlohmann::json describe() const;

 private:
  std::string workdir() const;  // quoted, relative to the login's home unless absolute
  Result<ProcessResult> run(const std::string& command, double timeout,
                            const std::string& stdin_path = "") const;
  std::string prefixed(const std::string& bin) const;  // "cd W && PREFIX bin"
  // A failed run of the bundle's binary as one line ("exec format error", "killed by ...").
  Error remote_failure(const std::string& what, const ProcessResult& r, double timeout) const;

  Ssh ssh_;
  std::string bundle_path_;
  std::string kernel_arch_, arch_;
  bool have_sha256sum_ = false, opened_ = false;
  std::optional<Bundle> bundle_;
  std::string remote_bin_;                     // relative to the working directory
  std::map<std::string, std::string> pushed_;  // sha256 -> remote path
};

// The "device" block of a record measured on this machine.
nlohmann::json local_device_json();

}  // namespace paramscale::device
