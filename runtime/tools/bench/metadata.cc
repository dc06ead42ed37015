#include "bench/metadata.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include "tvlite/kernels/cpu.h"
#include "tvlite/kernels/gemm_microkernel.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tvlite_bench_commit.h"  // generated at build time: TVLITE_GIT_COMMIT

#ifndef TVLITE_VERSION
#define TVLITE_VERSION "unknown"
#endif

namespace tvlite::bench {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model_name, hardware, model, implementer, part;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string k = trim(line.substr(0, colon)), v = trim(line.substr(colon + 1));
    if (k == "model name" && model_name.empty()) model_name = v;
    if (k == "Hardware" && hardware.empty()) hardware = v;
    if (k == "Model" && model.empty()) model = v;
    if (k == "CPU implementer" && implementer.empty()) implementer = v;
    if (k == "CPU part" && part.empty()) part = v;
  }
  // ARM kernels print "model name : ARMv7 Processor rev 4 (v7l)" too; the part says more.
  std::string arm;
  if (!implementer.empty() || !part.empty()) arm = "implementer " + implementer + " part " + part;
  if (!model.empty()) return arm.empty() ? model : model + " (" + arm + ")";
  if (!hardware.empty()) return arm.empty() ? hardware : hardware + " (" + arm + ")";
  if (!arm.empty()) return model_name.empty() ? arm : model_name + " (" + arm + ")";
  return model_name.empty() ? "unknown" : model_name;
}

std::string xxh3_hex(const void* data, size_t size) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(data, size)));
  return buf;
}

Metadata collect_metadata() {
  Metadata m;
  m.version = TVLITE_VERSION;
  m.commit = TVLITE_GIT_COMMIT;
#if defined(__clang__)
  m.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  m.compiler = "gcc " __VERSION__;
#else
  m.compiler = "unknown";
#endif
  m.cpu_model = cpu_model_name();
  const uint32_t f = kernels::cpu_features();
  if (f & kernels::kCpuFeatureAvx2) m.cpu_features.push_back("avx2+fma");
  if (f & kernels::kCpuFeatureAvx512f) m.cpu_features.push_back("avx512f");
  if (f & kernels::kCpuFeatureNeon) m.cpu_features.push_back("neon");
  m.ukernel = kernels::gemm_f32_ukernel_default().name;
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  m.cpu_count = n > 0 ? int(n) : 0;
  struct utsname u;
  if (uname(&u) == 0) {
    m.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
    m.host = u.nodename;
  }
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  char date[32] = "unknown";
  if (gmtime_r(&now, &tm) != nullptr) std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  m.date_utc = date;
  return m;
}

}  // namespace tvlite::bench
