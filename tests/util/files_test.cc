// util/files and util/atomic_file against hostile targets (issue 17): FIFOs and devices are
// refused without blocking, declared sizes are checked before allocating, device nodes are never
// replaced, and temp files of killed writers are swept while live writers' are kept.
#include "util/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/atomic_file.h"

namespace paramscale {
namespace {

using test::TempDir;

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

TEST(Files, ReadsARegularFileWhole) {
  TempDir dir;
  std::ofstream(dir / "a") << "hello";
  auto r = read_regular_file(dir / "a", "test file");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello");
}

// Class 3 (hangs): opening a FIFO with no writer would block forever.
TEST(Files, RefusesAFifoWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  auto r = read_regular_file(dir / "fifo", "trace file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "trace file " + (dir / "fifo") + " is a FIFO, not a regular file");
  EXPECT_EQ(r.error().exit_code, 2);
  EXPECT_FALSE(require_regular_file(dir / "fifo", "model").ok());
}

TEST(Files, RefusesDevicesAndDirectories) {
  auto dev = read_regular_file("/dev/zero", "weights file");
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().message, "weights file /dev/zero is a device, not a regular file");
  TempDir dir;
  auto d = regular_file_size(dir.path(), "fit file");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "fit file " + dir.path() + " is a directory, not a regular file");
}

// Class 2 (size claims): the limit is checked against the file's length before reading.
TEST(Files, RefusesFilesOverTheLimit) {
  TempDir dir;
  std::ofstream(dir / "big") << std::string(100, 'x');
  auto r = read_regular_file(dir / "big", "study config", 99);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "study config " + (dir / "big") + " is 100 bytes, more than the 99 accepted");
  EXPECT_TRUE(read_regular_file(dir / "big", "study config", 100).ok());
}

// Class 4 (writing over device nodes): only a regular file may be replaced by the rename.
TEST(AtomicFile, NeverReplacesAnythingButARegularFile) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::symlink("/dev/null", (dir / "link").c_str()), 0);
  ::mkdir((dir / "sub").c_str(), 0755);
  for (const std::string& target : {dir / "fifo", dir / "link", dir / "sub"}) {
    const Status s = write_file_atomic(target, "x");
    ASSERT_FALSE(s.ok()) << target;
    EXPECT_EQ(s.error().exit_code, 2);
    EXPECT_NE(s.error().message.find("is not a regular file"), std::string::npos);
  }
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(::lstat((dir / "link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  const Status dev = write_file_atomic("/dev/full", "x");
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().message,
            "cannot write /dev/full: it exists and is not a regular file (a device or socket); "
            "refusing to replace it");
  ASSERT_EQ(::stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(std::system(("ls " + dir.path() + " | grep -q tmp").c_str()) == 0, false);
  // A regular file is replaced as before.
  std::ofstream(dir / "plain") << "old";
  ASSERT_TRUE(write_file_atomic(dir / "plain", "new").ok());
  EXPECT_EQ(test::slurp(dir / "plain"), "new");
}

// Class 8 (stale temp files): a dead writer's temp files go, a live one's and others' stay.
TEST(Files, RemovesOnlyDeadWritersTempFiles) {
  TempDir dir;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a PID that is surely gone
  const std::string dead = "weights.psw.tmp." + std::to_string(child) + ".0";
  const std::string live = "log.csv.tmp." + std::to_string(::getppid()) + ".3";
  const std::string own = "arch.json.tmp." + std::to_string(::getpid()) + ".1";
  for (const std::string& f :
       {dead, live, own, std::string("notes.tmp.txt"), std::string("a.json")})
    std::ofstream(dir / f) << "x";
  EXPECT_EQ(remove_stale_temp_files(dir.path()), 1);
  EXPECT_FALSE(exists(dir / dead));
  for (const std::string& f : {live, own, std::string("notes.tmp.txt"), std::string("a.json")})
    EXPECT_TRUE(exists(dir / f)) << f;
  EXPECT_EQ(remove_stale_temp_files(dir / "missing"), 0);
}

}  // namespace
}  // namespace paramscale
