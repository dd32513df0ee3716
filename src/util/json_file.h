// util/json_file: reading and writing the JSON files the tool keeps (configs, records, run files).
//
// read_json_file goes through read_regular_file (util/files.h: no blocking on FIFOs, size checked
// before allocating) and turns every problem into one bad-input line naming the file;
// write_json_file writes atomically (util/atomic_file.h), two-space indented with a final newline,
// so a killed writer never leaves half a file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace paramscale {

// `what` names the file in "cannot open WHAT PATH: why" (e.g. "run file", "study record");
// `cannot_open`, when given, is the whole message for a file that cannot be opened.
Result<nlohmann::json> read_json_file(const std::string& path, const std::string& what,
                                      const std::string& cannot_open = "");

Status write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace paramscale
