// The schema's contract: the committed generated header is what flatc makes of tvlite.fbs, and
// the architecture manifest lists exactly torchvision's state-dict entries, in order.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "common/process.h"
#include "tvlite/schema/manifest.h"

using tvlite::test::run_command;
using tvlite::test::shell_quote;

namespace {
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("the committed generated header matches flatc's output for tvlite.fbs") {
  const std::string src = TVLITE_SOURCE_DIR;
  const std::string out = std::string(TVLITE_FIXTURES) + "/flatc";
  const auto r = run_command("flatc --cpp --scoped-enums -o " + shell_quote(out) + " " +
                             shell_quote(src + "/schema/tvlite.fbs"));
  if (r.exit_code == 127) {
    MESSAGE("flatc not installed; skipped");
    return;
  }
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(read_file(out + "/tvlite_generated.h") ==
        read_file(src + "/schema/include/tvlite/schema/tvlite_generated.h"));
}

TEST_CASE("the manifest equals torchvision's state dicts, names, shapes and order") {
  const auto r = run_command(std::string(TVLITE_PYTHON) + " " +
                             shell_quote(std::string(TVLITE_SOURCE_DIR) +
                                         "/tests/python/schema_manifest.py"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  std::map<std::string, std::vector<std::string>> expected;
  std::istringstream lines(r.output);
  for (std::string arch, classes, name, dims; lines >> arch >> classes >> name >> dims;) {
    expected[arch + " " + classes].push_back(name + " " + (dims == "-" ? "" : dims));
  }
  REQUIRE(expected.size() == 2 * 19);  // 19 architectures x 2 class counts
  for (const auto& [key, entries] : expected) {
    CAPTURE(key);
    const std::string arch = key.substr(0, key.find(' '));
    tvlite::schema::ArchConfig a;
    REQUIRE(tvlite::schema::arch_by_name(arch, std::stoi(key.substr(key.find(' ') + 1)), &a));
    std::vector<std::string> got;
    for (const auto& e : tvlite::schema::arch_manifest(a)) {
      std::string dims;
      for (size_t i = 0; i < e.shape.size(); ++i) dims += (i ? "," : "") + std::to_string(e.shape[i]);
      got.push_back(e.name + " " + dims);
    }
    CHECK(got == entries);
  }
}
