#include <string>

#include "bench/report.h"

namespace tvlite::bench {
namespace {

// RFC 4180: quote fields holding a comma, quote or line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string dims(const std::array<int64_t, 4>& d) {
  return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]) + "x" +
         std::to_string(d[3]);
}

// Metadata lines hold no line breaks, whatever a field holds.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::string result_to_csv(const BenchResult& r) {
  const Metadata& m = r.meta;
  std::string features;
  for (const std::string& f : m.cpu_features) features += (features.empty() ? "" : " ") + f;
  std::string s;
  auto meta = [&](const char* k, const std::string& v) { s += "# " + std::string(k) + ": " + one_line(v) + "\n"; };
  meta("tool", "tvlite-bench " + m.version + " commit " + m.commit + " (" + m.compiler + ")");
  meta("model", m.model_path + " (" + m.arch + ", " + std::to_string(m.model_bytes) +
                    " bytes, XXH3-64 " + m.model_xxh3 + ")");
  meta("cpu", m.cpu_model + ", " + std::to_string(m.cpu_count) + " CPUs, features [" + features +
                  "], GEMM micro-kernel " + m.ukernel);
  meta("system", m.os + ", host " + m.host + ", " + m.date_utc);
  meta("input", dims(r.shape) + ", " + std::to_string(r.warmup) + " warm-up, " +
                    std::to_string(r.iters) + " timed and " + std::to_string(r.iters) +
                    " profiled runs per thread count");
  meta("load", "warm median " + fixed(r.load.warm.median, 3) + " ms, cold " +
                   fixed(r.load.cold_ms, 3) + " ms (" + r.load.cold_note + ")");
  for (const ThreadRun& t : r.runs) {
    const Spread& l = t.latency;
    meta("latency", std::to_string(t.threads) + " thread(s): min " + fixed(l.min, 3) + " median " +
                        fixed(l.median, 3) + " p90 " + fixed(l.p90, 3) + " max " +
                        fixed(l.max, 3) + " MAD " + fixed(l.mad, 3) + " stdev " +
                        fixed(l.stdev, 3) + " ms");
  }
  s += "threads,index,layer,kind,input,output,macs,flops,median_ms,min_ms,max_ms,gflops,"
       "share_pct\n";
  for (const ThreadRun& t : r.runs) {
    for (size_t i = 0; i < t.layers.size(); ++i) {
      const LayerStat& l = t.layers[i];
      s += std::to_string(t.threads) + "," + std::to_string(i) + "," + csv_field(l.name) + "," +
           csv_field(l.kind) + "," + dims(l.in) + "," + dims(l.out) + "," +
           std::to_string(l.macs) + "," + std::to_string(l.flops) + "," +
           fixed(l.median_ms, 6) + "," + fixed(l.min_ms, 6) + "," + fixed(l.max_ms, 6) + "," +
           fixed(l.gflops, 3) + "," + fixed(l.share_pct, 4) + "\n";
    }
  }
  return s;
}

}  // namespace tvlite::bench
