// tvlite-embed and tvlite-inspect --arena-bytes from the command line: bad input is an error line
// and a non-zero exit with no output file left behind; good input gives the .S/.c and .h the
// firmware links, and the workspace size the library measures.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/process.h"
#include "runtime/tvl_builder.h"
#include "tvlite/tvlite.h"

using tvlite::test::file_exists;
using tvlite::test::run_command;
using tvlite::test::shell_quote;

namespace {

const std::string kDir = std::string(TVLITE_BINARY_DIR) + "/tests/firmware_tool";

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const std::vector<uint8_t>& model() {
  static const std::vector<uint8_t> bytes = [] {
    tvlite::schema::ArchConfig a;
    REQUIRE(tvlite::schema::arch_by_name("resnet18", 4, &a));
    return tvlite::test::build_tvl(tvlite::test::random_model(a, 9));
  }();
  return bytes;
}

#ifndef TVLITE_TOOL_EMULATOR
#define TVLITE_TOOL_EMULATOR ""  // cross builds: "qemu-aarch64 -L /usr/aarch64-linux-gnu"
#endif
// Under qemu-user in cross builds (CMAKE_CROSSCOMPILING_EMULATOR), directly otherwise.
std::string tool(const char* name) {
  const std::string emulator = TVLITE_TOOL_EMULATOR;
  return (emulator.empty() ? "" : emulator + " ") +
         shell_quote(std::string(TVLITE_BIN_DIR) + "/" + name);
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("tvlite-embed writes an aligned .rodata .S or a C array, and a header") {
  REQUIRE(run_command("mkdir -p " + shell_quote(kDir)).exit_code == 0);
  const std::string tvl = kDir + "/m.tvl";
  write_file(tvl, model());
  auto r = run_command(tool("tvlite-embed") + " " + shell_quote(tvl) + " -o " +
                       shell_quote(kDir + "/m.S") + " --symbol my_model --workspace-shape 1x3x32x32");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const std::string s = read_text(kDir + "/m.S"), h = read_text(kDir + "/m.h");
  CHECK(has(s, ".section .rodata.tvlite.my_model,\"a\",%progbits"));
  CHECK(has(s, ".balign 64"));
  CHECK(has(s, ".incbin \"" + tvl + "\", 0, " + std::to_string(model().size())));
  CHECK(has(h, "extern const unsigned char my_model[];"));
  CHECK(has(h, "#define my_model_SIZE ((size_t)" + std::to_string(model().size()) + "u)"));
  // The header's workspace size is tvlite_workspace_size()'s, and tvlite-inspect's.
  r = run_command(tool("tvlite-inspect") + " " + shell_quote(tvl) + " --arena-bytes --shape 1x3x32x32");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const size_t inspect_bytes = std::stoull(r.output);
  CHECK(has(h, "#define my_model_WORKSPACE_BYTES ((size_t)" + std::to_string(inspect_bytes) + "u)"));
  CHECK(inspect_bytes > 100000);

  r = run_command(tool("tvlite-embed") + " " + shell_quote(tvl) + " -o " +
                  shell_quote(kDir + "/m.c") + " --symbol my_model");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const std::string c = read_text(kDir + "/m.c");
  CHECK(has(c, "__attribute__((aligned(64)))"));
  CHECK(has(c, "const unsigned char my_model[" + std::to_string(model().size()) + "] = {"));
  CHECK(!has(read_text(kDir + "/m.h"), "WORKSPACE_BYTES"));
}

TEST_CASE("tvlite-embed refuses bad input and leaves no output file") {
  REQUIRE(run_command("mkdir -p " + shell_quote(kDir)).exit_code == 0);
  const std::string good = kDir + "/good.tvl", out = kDir + "/bad_out.S";
  write_file(good, model());
  std::vector<uint8_t> zip = {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0};
  write_file(kDir + "/zip.tvl", zip);
  std::vector<uint8_t> truncated(model().begin(), model().begin() + long(model().size() / 2));
  write_file(kDir + "/truncated.tvl", truncated);
  write_file(kDir + "/empty.tvl", {});
  struct Case {
    std::string args, message;
  } cases[] = {
      {shell_quote(kDir + "/zip.tvl") + " -o " + shell_quote(out) + " --symbol m", "not a .tvl file"},
      {shell_quote(kDir + "/empty.tvl") + " -o " + shell_quote(out) + " --symbol m", "not a .tvl file"},
      {shell_quote(kDir + "/truncated.tvl") + " -o " + shell_quote(out) + " --symbol m", "invalid file"},
      {shell_quote(kDir + "/missing.tvl") + " -o " + shell_quote(out) + " --symbol m", "cannot open"},
      {shell_quote(good) + " -o " + shell_quote(out) + " --symbol 9lives", "not a C identifier"},
      {shell_quote(good) + " -o " + shell_quote(kDir + "/x.txt") + " --symbol m", "must end in .S"},
      {shell_quote(good) + " -o " + shell_quote(out) + " --symbol m --workspace-shape 1x3", "NxCxHxW"},
      {shell_quote(good) + " -o " + shell_quote(out) + " --symbol m --workspace-shape 1x2x32x32",
       "input channels"},
      {shell_quote(good) + " -o " + shell_quote(kDir + "/no/such/dir/x.S") + " --symbol m",
       "cannot create"},
      {shell_quote(good) + " --symbol m", "-o and --symbol are needed"},
      {shell_quote(good) + " -o " + shell_quote(out) + " --symbol m --header " + shell_quote(out),
       "-o and --header are both"},
      {shell_quote(good) + " -o " + shell_quote(out) + " --symbol m --header " + shell_quote(good),
       "is the input model"},
  };
  std::remove(out.c_str());
  std::remove((kDir + "/bad_out.h").c_str());
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const auto r = run_command(tool("tvlite-embed") + " " + c.args);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 128);
    CHECK_MESSAGE(has(r.output, "error: "), r.output);
    CHECK_MESSAGE(has(r.output, c.message), r.output);
    CHECK(!file_exists(out));
    CHECK(!file_exists(kDir + "/bad_out.h"));
  }
  // No temporary left either.
  CHECK(run_command("ls " + shell_quote(kDir) + " | grep -c tmp").output.rfind("0", 0) == 0);

  const auto r = run_command(tool("tvlite-inspect") + " " + shell_quote(good) + " --arena-bytes");
  CHECK(r.exit_code == 1);  // every tool: 1 and an error: line, a wrong command line too
  CHECK(has(r.output, "--arena-bytes needs --shape"));
}
