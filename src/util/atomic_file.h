// util/atomic_file: write a whole file so that readers see either the old file or the new one.
//
// The bytes go to a temp file beside the target (unique per process and call, so threads and
// processes never share one), are fsync'ed, then renamed over the target. On any error the temp file
// is removed and nothing is left behind. A missing directory or an unwritable path is bad input
// (exit 2); a failed write (disk full) is a runtime failure.
#pragma once

#include <string>

#include "util/result.h"

namespace paramscale {

Status write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace paramscale
