#include "device/bundle.h"

#include <sys/stat.h>

#include <cstdlib>

#include "util/sha256.h"
#include "util/subprocess.h"
#include "util/version.h"

namespace paramscale::device {

namespace {

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string bundle_arch_from_name(const std::string& path) {
  const std::string name = base_name(path);
  for (const char* arch : {"aarch64", "x86_64"}) {
    const std::string tail = std::string("-linux-") + arch + ".tar.gz";
    if (name.size() > tail.size() && name.rfind("paramscale-", 0) == 0 &&
        name.compare(name.size() - tail.size(), tail.size(), tail) == 0)
      return arch;
  }
  return "";
}

Result<Bundle> find_bundle(const std::string& arch, const std::string& path) {
  const std::string build_hint = " (build it with scripts/build-bundle.sh " + arch + ")";
  std::string tarball = path;
  if (tarball.empty()) {
    const char* env = std::getenv("PARAMSCALE_BUNDLE_DIR");
    std::string dir;
    if (env && *env) {
      dir = env;
    } else {
      const std::string exe = self_executable();
      dir = exe.substr(0, exe.rfind('/') == std::string::npos ? 0 : exe.rfind('/')) + "/bundles";
    }
    tarball = dir + "/paramscale-" PARAMSCALE_VERSION "-linux-" + arch + ".tar.gz";
    if (!regular_file(tarball))
      return bad_input("no device bundle for " + arch + " at " + tarball + build_hint);
  } else if (!regular_file(tarball)) {
    return bad_input("bundle '" + tarball + "' is not a readable file");
  }
  const std::string bundle_arch = bundle_arch_from_name(tarball);
  if (bundle_arch.empty())
    return bad_input("cannot tell the architecture of bundle '" + tarball +
                     "' (expected a name like paramscale-" PARAMSCALE_VERSION "-linux-" + arch +
                     ".tar.gz)");
  if (bundle_arch != arch)
    return bad_input("bundle '" + tarball + "' is for " + bundle_arch + ", the device runs " +
                     arch + build_hint);
  auto sha = sha256_file(tarball);
  if (!sha.ok()) return sha.error();
  std::string top = base_name(tarball);
  top = top.substr(0, top.size() - 7);  // drop ".tar.gz"
  return Bundle{tarball, *sha, arch, top};
}

}  // namespace paramscale::device
