// What the tool suites (test_tools, test_bench) share: where the tools are, a folder of this
// process for their files, and a seeded resnet18 .tvl in it.
//
// Each process writes only into its own folder (mkdtemp under fixtures/<suite>), removed at exit:
// several builds (host, sanitizers, cross) share one fixtures folder and may run these suites at
// once, and rewriting a .tvl another process has mapped would kill that process with SIGBUS.
#pragma once
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "common/process.h"
#include "runtime/tvl_builder.h"
#include "tvlite/schema/manifest.h"

namespace tvlite::test {

#ifndef TVLITE_TOOL_EMULATOR
#define TVLITE_TOOL_EMULATOR ""  // cross builds: "qemu-aarch64 -L /usr/aarch64-linux-gnu"
#endif
// The tools' folder, prefixed by qemu-user in cross builds (CMAKE_CROSSCOMPILING_EMULATOR).
inline const std::string& tool_bin() {
  static const std::string bin = std::string(TVLITE_TOOL_EMULATOR) +
                                 (std::string(TVLITE_TOOL_EMULATOR).empty() ? "" : " ") +
                                 TVLITE_BIN_DIR;
  return bin;
}

struct OutDir {
  std::string path;  // empty if the folder could not be made
  explicit OutDir(const std::string& suite) {
    const std::string base = std::string(TVLITE_FIXTURES) + "/" + suite;
    run_command("mkdir -p " + shell_quote(base));
    std::string tmpl = base + "/run-XXXXXX";
    if (mkdtemp(&tmpl[0]) != nullptr) path = tmpl;
  }
  ~OutDir() {
    if (!path.empty()) run_command("rm -rf " + shell_quote(path));
  }
  OutDir(const OutDir&) = delete;
  OutDir& operator=(const OutDir&) = delete;
};

inline void write_bytes(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), std::streamsize(size));
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

// A resnet18 with 10 classes and weights seeded by `seed`, written to dir/r18.tvl.
inline std::string write_resnet18(const std::string& dir, uint32_t seed) {
  REQUIRE(!dir.empty());
  tvlite::schema::ArchConfig a;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", 10, &a));
  const std::string p = dir + "/r18.tvl";
  const std::vector<uint8_t> bytes = build_tvl(random_model(a, seed));
  write_bytes(p, bytes.data(), bytes.size());
  return p;
}

}  // namespace tvlite::test
