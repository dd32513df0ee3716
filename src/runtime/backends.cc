// runtime/backends: the registry of backends compiled into this build.
#include "runtime/backend.h"

namespace paramscale::runtime {

std::optional<RuntimeKind> BackendOptions::runtime_kind() const { return runtime_named(runtime); }

std::optional<OptLevel> BackendOptions::level() const { return opt_level_named(opt_level); }

namespace {
BackendFactory& torch_factory() {
  static BackendFactory factory = nullptr;  // function-local: set during static initialisation
  return factory;
}

bool in_this_build(RuntimeKind runtime) {
  switch (runtime) {
    case RuntimeKind::kOrt:
      return true;
    case RuntimeKind::kOpenCv:
#ifdef PARAMSCALE_RUNTIME_OPENCV
      return true;
#else
      return false;
#endif
    case RuntimeKind::kTorch:
#ifdef PARAMSCALE_TORCH_BUILD
      return true;
#else
      return false;
#endif
  }
  return false;
}
}  // namespace

void register_torch_backend(BackendFactory factory) { torch_factory() = factory; }

std::vector<std::string> known_runtimes() {
  std::vector<std::string> names;
  for (RuntimeKind r : {RuntimeKind::kOrt, RuntimeKind::kOpenCv, RuntimeKind::kTorch})
    if (in_this_build(r)) names.push_back(to_string(r));
  return names;
}

std::string known_runtimes_text() {
  std::string list;
  for (const auto& n : known_runtimes()) list += (list.empty() ? "" : ", ") + n;
  return list;
}

Status check_backend_options(const BackendOptions& o) {
  const auto kind = o.runtime_kind();
  if (!kind || !in_this_build(*kind))
    return bad_input("unknown runtime '" + o.runtime +
                     "' (this build has: " + known_runtimes_text() + ")");
  if (o.threads < 1)
    return bad_input("threads must be at least 1, got " + std::to_string(o.threads));
  if (auto level = parse_opt_level(o.opt_level); !level.ok()) return level.error();
  return {};
}

Result<std::unique_ptr<Backend>> make_backend(const BackendOptions& o) {
  if (Status s = check_backend_options(o); !s.ok()) return s.error();
  switch (*o.runtime_kind()) {  // checked above: a runtime of this build
    case RuntimeKind::kOrt:
      return make_ort_backend(o);
#ifdef PARAMSCALE_RUNTIME_OPENCV
    case RuntimeKind::kOpenCv:
      return make_opencv_backend(o);
#endif
    case RuntimeKind::kTorch:
      if (torch_factory()) return torch_factory()(o);
      return failure("the torch runtime runs in paramscale-torch, which this process is not");
    default:
      break;
  }
  return bad_input("unknown runtime '" + o.runtime + "'");
}

}  // namespace paramscale::runtime
