// util/files: reading untrusted input files safely, and clearing what killed writers left behind.
//
// Every reader of a user-named file goes through read_regular_file: it opens without blocking (a
// FIFO or a device never hangs the reader), refuses anything but a regular file, and checks the
// length against a limit before allocating, so a declared or actual size is never trusted blindly.
// Errors are bad input (exit 2) with one line naming the file.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace paramscale {

// The largest input file any reader accepts (bigger ones are refused before allocating).
constexpr int64_t kMaxInputFileBytes = int64_t{4} << 30;
// The largest JSON or CSV file (configs, fits, traces, records) any reader accepts.
constexpr int64_t kMaxTextFileBytes = int64_t{256} << 20;

// Is `path` an existing regular file (following symlinks)? Does not open it.
bool is_regular_file(const std::string& path);

// Refuses paths that exist and are not regular files (FIFOs, devices, directories, sockets);
// `what` names the file in the message ("weights file").
Status require_regular_file(const std::string& path, const std::string& what);

// The whole file, when it is a regular file of at most `max_bytes` bytes. A file that cannot be
// opened (missing, no permission) is `cannot_open` when given, else "cannot open WHAT PATH: why".
Result<std::string> read_regular_file(const std::string& path, const std::string& what,
                                      int64_t max_bytes = kMaxInputFileBytes,
                                      const std::string& cannot_open = "");

// The size of a regular file (as require_regular_file checks it), or an error.
Result<int64_t> regular_file_size(const std::string& path, const std::string& what);

// Removes the temp files of write_file_atomic (NAME.tmp.PID.N) in `dir` whose writer PID is no
// longer running: what a SIGKILLed run left behind. Returns how many were removed. Never touches
// a live process's temp file, so concurrent writers on one directory are safe.
int remove_stale_temp_files(const std::string& dir);

}  // namespace paramscale
