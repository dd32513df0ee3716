#include "device/session.h"

#include <sys/stat.h>

#include <cstring>
#include <sstream>

#include "runtime/environment.h"
#include "util/sha256.h"

namespace paramscale::device {

namespace {

// Generous limits for small remote commands; transfers get time in proportion to their size
// (at least 100 kB/s, a poor Wi-Fi link).
constexpr double kCommandSeconds = 60;

double transfer_seconds(const std::string& path) {
  struct stat st {};
  const double bytes = ::stat(path.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0;
  return kCommandSeconds + bytes / (100.0 * 1024);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

Session::Session(Device device, std::string bundle_path)
    : ssh_(std::move(device)), bundle_path_(std::move(bundle_path)) {}

std::string Session::workdir() const {
  std::string w = device().workdir;
  if (w.rfind("~/", 0) == 0) w = w.substr(2);
  return shell_quote(w.empty() ? "." : w);
}

Result<ProcessResult> Session::run(const std::string& command, double timeout,
                                   const std::string& stdin_path) const {
  return ssh_.run(command, timeout + device().connect_timeout, stdin_path);
}

Status Session::open() {
  if (opened_) return {};
  const std::string w = workdir();
  const std::string probe =
      "uname -m; for t in sh tar gzip timeout mkdir mv rm cat; do command -v $t >/dev/null 2>&1 "
      "|| echo missing:$t; done; command -v sha256sum >/dev/null 2>&1 && echo have:sha256sum; "
      "mkdir -p " +
      w + " 2>/dev/null; if test -d " + w + " && test -w " + w +
      "; then echo workdir:ok; else echo workdir:unwritable; fi";
  auto r = run(probe, kCommandSeconds);
  if (!r.ok()) return r.error();
  const auto out = lines(r->out);
  const std::string who = "device '" + device().name + "'";
  if (out.empty() || out[0].empty())
    return failure(who + ": `uname -m` printed nothing (is it a Linux device?)");
  kernel_arch_ = normalize_arch(out[0]);
  std::string missing;
  bool workdir_ok = false;
  for (const auto& l : out) {
    if (l.rfind("missing:", 0) == 0) missing += (missing.empty() ? "" : ", ") + l.substr(8);
    if (l == "have:sha256sum") have_sha256sum_ = true;
    if (l == "workdir:ok") workdir_ok = true;
  }
  if (!missing.empty()) return failure(who + " lacks the command(s) " + missing);
  if (!workdir_ok)
    return failure(who + ": working directory " + device().workdir +
                   " cannot be created or is not writable");
  arch_ = device().arch == "auto" ? kernel_arch_ : device().arch;
  opened_ = true;
  return {};
}

Result<std::string> Session::push(const std::string& local_path, const std::string& ext) {
  if (Status s = open(); !s.ok()) return s.error();
  auto sha = sha256_file(local_path);
  if (!sha.ok()) return sha.error();
  if (auto it = pushed_.find(*sha); it != pushed_.end()) return it->second;
  const std::string remote = "blobs/" + *sha + ext;
  const std::string w = workdir();
  auto present = run("test -f " + w + "/" + remote + " && echo present", kCommandSeconds);
  if (!present.ok()) return present.error();
  if (present->out.find("present") == std::string::npos) {
    const std::string tmp = remote + ".tmp.$$";
    std::string verify;
    if (have_sha256sum_)
      verify = " && { echo \"" + *sha + "  " + tmp +
               "\" | sha256sum -c --status || { echo 'checksum mismatch after upload' >&2; "
               "false; }; }";
    const std::string command = "cd " + w + " && mkdir -p blobs && { cat > " + tmp + verify +
                                " && mv " + tmp + " " + remote + "; } || { rm -f " + tmp +
                                "; exit 3; }";
    auto r = run(command, transfer_seconds(local_path), local_path);
    if (!r.ok()) return r.error();
    if (!r->success()) {
      const std::string why = r->last_err_line();
      return failure("device '" + device().name + "': cannot store " + local_path + " in " +
                     device().workdir + "/blobs" + (why.empty() ? "" : ": " + why));
    }
  }
  pushed_[*sha] = remote;
  return remote;
}

Result<std::string> Session::install() {
  if (!remote_bin_.empty()) return remote_bin_;
  if (Status s = open(); !s.ok()) return s.error();
  auto bundle = find_bundle(arch_, bundle_path_);
  if (!bundle.ok())
    return Error{"device '" + device().name + "': " + bundle.error().message,
                 bundle.error().exit_code};
  auto blob = push(bundle->tarball, ".tar.gz");
  if (!blob.ok()) return blob.error();
  const std::string dir = "bundles/" + bundle->sha256;
  const std::string bin = dir + "/" + bundle->top_dir + "/bin/paramscale";
  // Unpacked beside its final place and renamed: a killed unpack leaves no half bundle in use.
  const std::string unpack = "cd " + workdir() + " && { test -x " + bin + " || { rm -rf " + dir +
                             ".tmp && mkdir -p " + dir + ".tmp && tar -xzf " + *blob + " -C " +
                             dir + ".tmp && rm -rf " + dir + " && mv " + dir + ".tmp " + dir +
                             "; } || { rm -rf " + dir + ".tmp; exit 3; }; }";
  auto r = run(unpack, kCommandSeconds);
  if (!r.ok()) return r.error();
  if (!r->success())
    return failure("device '" + device().name + "': cannot unpack the bundle in " +
                   device().workdir + ": " + r->last_err_line());
  // Does it run there? A binary of another architecture is not always refused cleanly: the
  // shell may try it as a script ("Syntax error"), so ask it for its version instead of guessing.
  auto version = run(prefixed(bin) + " --version", kCommandSeconds);
  if (!version.ok()) return version.error();
  if (version->out.rfind("paramscale ", 0) != 0)
    return failure("the " + arch_ + " bundle cannot run on device '" + device().name +
                   "' (its kernel is " + kernel_arch_ +
                   "): wrong architecture? Set the device's arch, or an emulator as its prefix" +
                   (version->last_err_line().empty() ? "" : " (" + version->last_err_line() + ")"));
  bundle_ = *bundle;
  remote_bin_ = bin;
  return remote_bin_;
}

std::string Session::prefixed(const std::string& bin) const {
  return "cd " + workdir() + " && " + (device().prefix.empty() ? "" : device().prefix + " ") + bin;
}

Result<nlohmann::json> Session::device_info() {
  auto bin = install();
  if (!bin.ok()) return bin.error();
  auto info = run(prefixed(*bin) + " device-info", kCommandSeconds);
  if (!info.ok()) return info.error();
  if (!info->success()) return remote_failure("the bundle", *info, kCommandSeconds);
  nlohmann::json j = nlohmann::json::parse(info->out, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return failure("device '" + device().name + "': the bundle's device-info printed no JSON");
  return j;
}

Error Session::remote_failure(const std::string& what, const ProcessResult& r,
                              double timeout) const {
  const std::string who = "device '" + device().name + "'";
  const std::string last = r.last_err_line();
  const std::string tail = last.empty() ? "" : " (" + last + ")";
  if (r.signal != 0 || r.timed_out)  // ssh itself, here on this machine
    return failure("ssh to " + who + " was " + r.describe());
  if (r.exit_code == 124)
    return failure(what + " on " + who + " did not finish within " +
                   std::to_string(static_cast<int>(timeout)) +
                   " s and was killed (raise --timeout)");
  if (r.exit_code == 127)  // the shell found no such command, or the loader a missing library
    return failure(what + " could not start on " + who + tail);
  if (r.exit_code > 128)
    return failure(what + " on " + who + " was killed by signal " +
                   std::to_string(r.exit_code - 128) + " (" + strsignal(r.exit_code - 128) + ")" +
                   tail);
  return failure(what + " on " + who + " failed with exit code " + std::to_string(r.exit_code) +
                 tail);
}

Result<nlohmann::json> Session::measure(const runtime::MeasureRequest& request,
                                        double timeout_seconds) {
  auto bin = install();
  if (!bin.ok()) return bin.error();
  auto model = push(request.model_path, ".onnx");
  if (!model.ok()) return model.error();
  runtime::MeasureRequest remote = request;
  remote.model_path = *model;
  remote.backend.optimized_model_path.clear();
  const int limit = std::max(1, static_cast<int>(timeout_seconds + 0.5));
  const std::string prefix = device().prefix.empty() ? "" : device().prefix + " ";
  const std::string command = "cd " + workdir() + " && timeout -k 5 " + std::to_string(limit) +
                              " " + prefix + *bin + " bench-child --request " +
                              shell_quote(runtime::request_to_json(remote).dump()) +
                              " --result-fd 3 3>&1 1>/dev/null";
  auto r = run(command, limit + 5 + kCommandSeconds);
  if (!r.ok()) return r.error();
  nlohmann::json rec = nlohmann::json::parse(r->out, nullptr, false);
  if (rec.is_object() && rec.contains("error")) {
    const auto& e = rec["error"];
    return Error{
        e.value("message", std::string("unknown error")) + " (on device '" + device().name + "')",
        e.value("exit_code", 1)};
  }
  if (!r->success() || rec.is_discarded() || !rec.is_object())
    return remote_failure("the measurement", *r, limit);
  rec["request"]["model"] = request.model_path;
  rec["model"]["path"] = request.model_path;
  rec["model"]["device_path"] = device().workdir + "/" + *model;
  rec["device"] = describe();
  if (emulated() && rec["validity"].value("timings_valid", true)) {
    rec["validity"]["timings_valid"] = false;
    rec["validity"]["reasons"].push_back("emulated: " + arch_ + " bundle on a " + kernel_arch_ +
                                         " device through '" + device().prefix + "'");
  }
  return rec;
}

nlohmann::json Session::describe() const {
  nlohmann::json j = {
      {"name", device().name},       {"target", device().target()}, {"arch", arch_},
      {"kernel_arch", kernel_arch_}, {"emulated", emulated()},      {"prefix", device().prefix},
      {"workdir", device().workdir}};
  if (bundle_) j["bundle_sha256"] = bundle_->sha256;
  return j;
}

nlohmann::json local_device_json() {
  const auto env = runtime::environment();
  return {{"name", kLocal},
          {"arch", runtime::build_arch()},
          {"kernel_arch", env["kernel_arch"]},
          {"emulated", env.value("emulated", false)}};
}

}  // namespace paramscale::device
