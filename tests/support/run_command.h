// tests/support/run_command: run a shell command, capture stdout, stderr and the exit code.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace paramscale::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command` with /bin/sh; stderr goes to a temp file so both streams are kept apart.
inline CommandResult run_command(const std::string& command) {
  char err_path[] = "/tmp/paramscale-test-stderr-XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd >= 0) close(fd);
  CommandResult r;
  FILE* pipe = popen((command + " 2>" + err_path).c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = slurp(err_path);
  std::remove(err_path);
  return r;
}

// The paramscale executable under test, with arguments.
inline CommandResult run_paramscale(const std::string& args) {
  return run_command(std::string(PARAMSCALE_BINARY) + " " + args);
}

// Reference data shipped beside the repository (../shared/reference); empty when absent.
inline std::string reference_dir() {
  const std::string dir = PARAMSCALE_REFERENCE_DIR;
  std::ifstream probe(dir + "/neuralscale/README.md");
  return probe ? dir : std::string();
}

// The bad-input contract of every command: exit code 2, nothing on stdout, exactly one line on
// stderr, and that line names the problem (contains `message_part`).
inline void expect_one_line_error(const CommandResult& r, const std::string& message_part) {
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  EXPECT_NE(r.err.find(message_part), std::string::npos) << r.err;
}

}  // namespace paramscale::test
