// Model::open on paths that are not regular files: a clear error at once, never a wait or a
// crash (a FIFO used to block in open() until a writer came).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "tvlite/model.h"

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/tvlite-file-kinds-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  REQUIRE(d != nullptr);
  return d;
}

void check_refused(const std::string& path, const std::string& fragment) {
  auto m = tvlite::Model::open(path);
  REQUIRE_FALSE(m);
  INFO(m.status().to_string());
  CHECK(m.status().to_string().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("a FIFO, a directory, a device and a missing path are refused with a clear error") {
  const std::string dir = temp_dir();
  const std::string fifo = dir + "/model.tvl";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  check_refused(fifo, "not a regular file");  // returns at once: nobody opens the write end
  check_refused(dir, "not a regular file");
  check_refused("/dev/null", "not a regular file");
  check_refused(dir + "/absent.tvl", "cannot open");
  ::unlink(fifo.c_str());
  ::rmdir(dir.c_str());
}
