// device/bundle: finds the device bundle (scripts/build-bundle.sh) for a device's architecture.
//
// A bundle is a tarball `paramscale-<version>-linux-<arch>.tar.gz` whose one top directory holds a
// torch-free `bin/paramscale` (bench only), ONNX Runtime and the C++ runtime it needs, found
// through $ORIGIN rpaths — nothing to install on the device. It is pushed to a device by its
// sha256, so an unchanged bundle is never sent twice. Where bundles are looked for: the path given
// (--bundle), else $PARAMSCALE_BUNDLE_DIR, else `bundles/` beside the running executable (where
// build-bundle.sh puts them: build/bundles/). Errors are one line and say how to build the bundle.
#pragma once

#include <string>

#include "util/result.h"

namespace paramscale::device {

struct Bundle {
  std::string tarball;  // local path
  std::string sha256;   // of the tarball
  std::string arch;     // aarch64 | x86_64
  std::string top_dir;  // the tarball's top directory, "paramscale-<version>-linux-<arch>"
};

// The bundle's architecture from its file name; "" when the name does not say.
std::string bundle_arch_from_name(const std::string& path);

// `path` non-empty: that tarball, which must be for `arch`. Otherwise the bundle of this
// paramscale version for `arch` in the search locations above.
Result<Bundle> find_bundle(const std::string& arch, const std::string& path);

}  // namespace paramscale::device
