// runtime/kinds: the inference runtimes bench knows and ONNX Runtime's graph optimisation levels,
// as types.
//
// Their names are what flags, config files, records and tables spell ("ort", "all", ...); parse()
// and to_string() are the only places those spellings are compared, so everything between the edges
// branches on the enums. Which runtimes a given build has is backend.h's known_runtimes().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace paramscale::runtime {

enum class RuntimeKind { kOrt, kOpenCv, kTorch };

// ONNX Runtime's GraphOptimizationLevel; the other runtimes have no such setting.
enum class OptLevel { kDisable, kBasic, kExtended, kAll };

const char* to_string(RuntimeKind runtime);  // "ort", "opencv", "torch"
const char* to_string(OptLevel level);       // "disable", "basic", "extended", "all"

// Bad input naming the valid names: "unknown runtime 'x' (ort, opencv, torch)".
Result<RuntimeKind> parse_runtime(const std::string& name);
// Bad input naming the valid names: "unknown optimisation level 'x' (disable, basic, extended,
// all)".
Result<OptLevel> parse_opt_level(const std::string& name);

// The same for a name that may be none: nullopt, which equals no runtime or level.
std::optional<RuntimeKind> runtime_named(const std::string& name);
std::optional<OptLevel> opt_level_named(const std::string& name);

// Every level's name, lowest first: for flag checks and help texts.
std::vector<std::string> opt_level_names();

// Optimisation levels, arenas and memory patterns are ONNX Runtime settings: other runtimes get one
// measurement where ORT gets one per value, and their records show "-" for them.
inline bool has_ort_options(RuntimeKind runtime) { return runtime == RuntimeKind::kOrt; }

}  // namespace paramscale::runtime
