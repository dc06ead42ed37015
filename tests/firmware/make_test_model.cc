// tvlite-make-test-model OUT.tvl [--classes N] [--seed S]: a seeded resnet18 written by the test
// .tvl builder (tests/runtime/tvl_builder), for the firmware example and tests: built at build
// time, never committed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/tvl_builder.h"

int main(int argc, char** argv) {
  std::string out;
  int classes = 10;
  unsigned seed = 7;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--classes") == 0 && i + 1 < argc) {
      classes = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = unsigned(std::strtoul(argv[++i], nullptr, 10));
    } else if (argv[i][0] != '-' && out.empty()) {
      out = argv[i];
    } else {
      std::fprintf(stderr, "usage: tvlite-make-test-model OUT.tvl [--classes N] [--seed S]\n");
      return 2;
    }
  }
  tvlite::schema::ArchConfig arch;
  if (out.empty() || classes < 1 || !tvlite::schema::arch_by_name("resnet18", classes, &arch)) {
    std::fprintf(stderr, "error: an output path and --classes >= 1 are needed\n");
    return 2;
  }
  const std::vector<uint8_t> bytes = tvlite::test::build_tvl(tvlite::test::random_model(arch, seed));
  const std::string tmp = out + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  const bool ok = f != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (f != nullptr && std::fclose(f) != 0) return 1;
  if (!ok || std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::remove(tmp.c_str());
    std::fprintf(stderr, "error: cannot write '%s'\n", out.c_str());
    return 1;
  }
  return 0;
}
