// util/subprocess: capture, redirection, the result pipe, exit codes, signals, time limits.
#include "util/subprocess.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale {
namespace {

ProcessSpec command(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

ProcessResult run(const ProcessSpec& spec) {
  auto r = run_process(spec);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : ProcessResult{};
}

TEST(Subprocess, CapturesBothStreamsAndTheExitCode) {
  const auto r = run(command({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.success());
  EXPECT_EQ(r.describe(), "exit code 3");
  EXPECT_EQ(r.last_err_line(), "err");
}

TEST(Subprocess, ResultPipeStdinAndFiles) {
  test::TempDir dir;
  std::ofstream(dir / "in") << "fed";
  ProcessSpec spec = command({"sh", "-c", "cat; echo record >&3; echo log"});
  spec.stdin_path = dir / "in";
  spec.result_fd = 3;
  spec.stderr_to_stdout = true;
  spec.stdout_path = dir / "log";
  const auto r = run(spec);
  EXPECT_TRUE(r.success());
  EXPECT_EQ(r.result, "record\n");
  EXPECT_EQ(test::slurp(dir / "log"), "fedlog\n");
  EXPECT_EQ(r.out, "");
}

TEST(Subprocess, SignalAndTimeout) {
  auto r = run(command({"sh", "-c", "kill -9 $$"}));
  EXPECT_EQ(r.signal, 9);
  EXPECT_EQ(r.describe().rfind("killed by signal 9", 0), 0u) << r.describe();
  ProcessSpec slow = command({"sleep", "30"});
  slow.timeout_seconds = 0.3;
  const auto t0 = std::chrono::steady_clock::now();
  r = run(slow);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));  // not 30 s
  // A child that closes its pipes but keeps running is still killed at the deadline.
  ProcessSpec closed = command({"sh", "-c", "exec >/dev/null 2>&1; sleep 30"});
  closed.timeout_seconds = 0.3;
  EXPECT_TRUE(run(closed).timed_out);
}

TEST(Subprocess, MissingProgramAndCaps) {
  const auto r = run(command({"/nonexistent/program"}));
  EXPECT_EQ(r.exit_code, 127);
  ProcessSpec big = command({"sh", "-c", "head -c 100000 /dev/zero"});
  big.max_capture = 1000;
  EXPECT_EQ(run(big).out.size(), 1000u);
  EXPECT_FALSE(run_process(ProcessSpec{}).ok());
}

}  // namespace
}  // namespace paramscale
