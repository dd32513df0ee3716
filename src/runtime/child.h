// runtime/child: one fresh process per measured model, so one model's arena cannot pollute the
// next.
//
// measure_in_child() spawns `executable bench-child --request JSON --result-fd N` (posix_spawn,
// i.e. fork+exec), reads the child's JSON record from a pipe and waits for it. The parent survives
// any child failure: a crash (signal), an exit without a result, or garbage on the pipe become a
// failure Error naming the cause (with the last line the child wrote to stderr); an error the child
// reports itself keeps its message and exit code. The child's stdout goes to /dev/null and its
// stderr to a temporary file, so runtime log noise never reaches the user's terminal.
// child_main() is the child's side: it runs measure() and writes the record (or error) to the fd.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/measure.h"
#include "util/result.h"

namespace paramscale::runtime {

inline constexpr const char* kChildCommand = "bench-child";

// timeout_seconds > 0: a child still running after that long is killed (SIGKILL) and the
// measurement fails with a message naming the limit, so a hung runtime cannot hang a study.
Result<nlohmann::json> measure_in_child(const MeasureRequest& request,
                                        const std::string& executable, double timeout_seconds = 0);

// Returns the child's exit status (0 when a record was written).
int child_main(const std::string& request_json, int result_fd);

}  // namespace paramscale::runtime
