// util/sha256: SHA-256 digests (FIPS 180-4) of bytes and files, as lowercase hex.
//
// Used to name the exact model file a measurement ran on (export prints it, results record it).
// Pure functions, no shared state, safe from any thread. sha256_file streams the file, so any size
// works; a missing or unreadable file is a one-line bad-input Error.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace paramscale {

std::string sha256_hex(std::string_view bytes);
Result<std::string> sha256_file(const std::string& path);

}  // namespace paramscale
