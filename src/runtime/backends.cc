// runtime/backends: the registry of backends compiled into this build.
#include "runtime/backend.h"

#include <algorithm>

namespace paramscale::runtime {

std::vector<std::string> known_runtimes() {
  std::vector<std::string> names = {"ort"};
#ifdef PARAMSCALE_RUNTIME_OPENCV
  names.push_back("opencv");
#endif
#ifdef PARAMSCALE_RUNTIME_TORCH
  names.push_back("torch");
#endif
  return names;
}

std::string known_runtimes_text() {
  std::string list;
  for (const auto& n : known_runtimes()) list += (list.empty() ? "" : ", ") + n;
  return list;
}

Status check_backend_options(const BackendOptions& o) {
  const auto names = known_runtimes();
  if (std::find(names.begin(), names.end(), o.runtime) == names.end())
    return bad_input("unknown runtime '" + o.runtime +
                     "' (this build has: " + known_runtimes_text() + ")");
  if (o.threads < 1)
    return bad_input("threads must be at least 1, got " + std::to_string(o.threads));
  if (o.opt_level != "disable" && o.opt_level != "basic" && o.opt_level != "extended" &&
      o.opt_level != "all")
    return bad_input("unknown optimisation level '" + o.opt_level +
                     "' (disable, basic, extended, all)");
  return {};
}

Result<std::unique_ptr<Backend>> make_backend(const BackendOptions& o) {
  if (Status s = check_backend_options(o); !s.ok()) return s.error();
  if (o.runtime == "ort") return make_ort_backend(o);
#ifdef PARAMSCALE_RUNTIME_OPENCV
  if (o.runtime == "opencv") return make_opencv_backend(o);
#endif
#ifdef PARAMSCALE_RUNTIME_TORCH
  if (o.runtime == "torch") return make_torch_backend(o);
#endif
  return bad_input("unknown runtime '" + o.runtime + "'");
}

}  // namespace paramscale::runtime
