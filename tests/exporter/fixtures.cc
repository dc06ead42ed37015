#include "fixtures.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tvlite::test {

namespace {
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

const std::string& fixture_dir() {
  static const std::string dir = [] {
    std::string d = std::string(TVLITE_FIXTURES) + "/exporter";
    std::string cmd = quote(TVLITE_PYTHON) + " " +
                      quote(std::string(TVLITE_SOURCE_DIR) + "/tests/python/exporter_fixtures.py") +
                      " " + quote(d);
    int rc = shell(cmd);
    if (rc != 0) {
      std::fprintf(stderr, "fixture generation failed (%d): %s\n", rc, cmd.c_str());
      std::abort();
    }
    return d;
  }();
  return dir;
}

std::string fixture(const std::string& name) { return fixture_dir() + "/" + name; }

std::string scratch(const std::string& name) {
  static const std::string dir = [] {
    std::string d = std::string(TVLITE_FIXTURES) + "/exporter_out";
    shell("rm -rf " + quote(d) + " && mkdir -p " + quote(d));
    return d;
  }();
  return dir + "/" + name;
}

std::vector<RefTensor> read_ref(const std::string& name) {
  std::ifstream f(fixture(name + ".ref"));
  REQUIRE_MESSAGE(f.good(), "missing reference " << name << ".ref");
  std::vector<RefTensor> out;
  std::string line;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    RefTensor r;
    std::string shape, crc, nbytes;
    std::getline(ss, r.name, '\t');
    std::getline(ss, r.dtype, '\t');
    std::getline(ss, shape, '\t');
    std::getline(ss, crc, '\t');
    std::getline(ss, nbytes, '\t');
    std::stringstream sh(shape);
    std::string d;
    while (std::getline(sh, d, ',')) r.shape.push_back(std::stoll(d));
    r.crc = uint32_t(std::stoul(crc, nullptr, 16));
    r.nbytes = std::stoull(nbytes);
    out.push_back(r);
  }
  return out;
}

uint32_t crc32(const void* data, size_t n) {
  static uint32_t table[256];
  static bool init = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)init;
  uint32_t c = 0xFFFFFFFFu;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::string s = slurp(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

RunResult run_export(const std::vector<std::string>& args) {
  static int n = 0;
  const std::string base = scratch("run" + std::to_string(n++));
  std::string cmd = quote(std::string(TVLITE_BIN_DIR) + "/tvlite-export");
  for (const std::string& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(base + ".out") + " 2>" + quote(base + ".err");
  RunResult r;
  r.rc = shell(cmd);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

}  // namespace tvlite::test
