// Shared helpers of the exporter tests: generated fixtures, their python references, running
// tvlite-export, and reading a .tvl back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::test {

// The folder of generated fixtures; runs tests/python/exporter_fixtures.py on first use.
const std::string& fixture_dir();
std::string fixture(const std::string& name);  // fixture_dir() + "/" + name
// A scratch folder for outputs, emptied on first use.
std::string scratch(const std::string& name);

struct RefTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  uint32_t crc = 0;
  uint64_t nbytes = 0;
};
// A fixture's reference, from <name>.ref (format: tests/python/exporter_fixtures.py).
std::vector<RefTensor> read_ref(const std::string& name);

uint32_t crc32(const void* data, size_t n);
std::vector<uint8_t> read_file(const std::string& path);
bool file_exists(const std::string& path);

struct RunResult {
  int rc = -1;
  std::string out, err;
};
// Runs tvlite-export with the arguments (each shell-quoted).
RunResult run_export(const std::vector<std::string>& args);

}  // namespace tvlite::test
