// A killed export never damages what was there: the old output stays byte-identical and no
// partial or temporary file is left in the folder (the exporter writes an anonymous O_TMPFILE,
// syncs it, links it under a temporary name and renames it into place).
#include <doctest/doctest.h>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "common/process.h"

namespace {

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Starts tvlite-export and SIGKILLs it after `delay`; returns how it ended (true if killed).
bool export_and_kill(const std::string& pth, const std::string& out,
                     std::chrono::milliseconds delay) {
  const std::string exe = std::string(TVLITE_BIN_DIR) + "/tvlite-export";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl(exe.c_str(), exe.c_str(), pth.c_str(), "-o", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status);
}

}  // namespace

TEST_CASE("an export killed at any moment leaves the old output untouched and no partial file") {
  const std::string models = std::string(TVLITE_FIXTURES) + "/models";
  const std::string pth = models + "/resnet50.pth";
  if (!tvlite::test::file_exists(pth)) {
    const auto r = tvlite::test::run_command(
        std::string(TVLITE_PYTHON) + " " + TVLITE_SOURCE_DIR + "/tests/python/model_fixtures.py " +
        models + " resnet50");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  }
  const std::string dir = std::string(TVLITE_FIXTURES) + "/atomic";
  tvlite::test::run_command("rm -rf " + dir + " && mkdir -p " + dir);
  const std::string out = dir + "/model.tvl";

  // A complete export first: its bytes, and how long one takes here, to aim the kills.
  const auto t0 = std::chrono::steady_clock::now();
  const auto full = tvlite::test::run_command(std::string(TVLITE_BIN_DIR) + "/tvlite-export " +
                                              pth + " -o " + out);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0);
  REQUIRE_MESSAGE(full.exit_code == 0, full.output);
  const std::string new_bytes = read_all(out);

  const std::string old_bytes = "an earlier export that must survive\n";
  int killed = 0;
  for (int percent : {1, 20, 40, 55, 70, 80, 88, 94, 98, 110}) {
    CAPTURE(percent);
    std::ofstream(out, std::ios::binary | std::ios::trunc) << old_bytes;
    killed += export_and_kill(pth, out, took * percent / 100);
    // Killed before the rename: the old file, whole. After it (or finished): the new, whole.
    const std::string now = read_all(out);
    CHECK((now == old_bytes || now == new_bytes));
    CHECK(list_dir(dir) == std::vector<std::string>{"model.tvl"});
  }
  MESSAGE(killed << " of 10 exports were killed; a full export takes " << took.count() << " ms");
  CHECK(killed >= 1);
}
