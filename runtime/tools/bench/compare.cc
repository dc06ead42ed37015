#include <cmath>
#include <string>

#include "bench/report.h"

namespace tvlite::bench {
namespace {

std::string change(double base, double now) {
  if (base == 0) return now == 0 ? "0.0 %" : "n/a";
  return fixed(100.0 * (now - base) / base, 1) + " %";
}

void row(std::FILE* out, const std::string& figure, double base, double now, int decimals,
         const std::string& note = "") {
  std::fprintf(out, "  %-44s %12s %12s %9s%s%s\n", figure.c_str(), fixed(base, decimals).c_str(),
               fixed(now, decimals).c_str(), change(base, now).c_str(), note.empty() ? "" : "  ",
               note.c_str());
}

void differs(std::FILE* out, const char* what, const std::string& a, const std::string& b) {
  if (a != b) std::fprintf(out, "note: %s differs: baseline '%s', now '%s'\n", what, a.c_str(), b.c_str());
}

const ThreadRun* find_threads(const BenchResult& r, int threads) {
  for (const ThreadRun& t : r.runs) {
    if (t.threads == threads) return &t;
  }
  return nullptr;
}

}  // namespace

void print_comparison(const BenchResult& b, const BenchResult& n, const std::string& name,
                      std::FILE* out) {
  std::fprintf(out, "\ncompared with %s (tvlite %s commit %s, %s, %s)\n", name.c_str(),
               b.meta.version.c_str(), b.meta.commit.c_str(), b.meta.host.c_str(),
               b.meta.date_utc.c_str());
  differs(out, "model file (XXH3-64)", b.meta.model_xxh3, n.meta.model_xxh3);
  differs(out, "CPU", b.meta.cpu_model, n.meta.cpu_model);
  differs(out, "GEMM micro-kernel", b.meta.ukernel, n.meta.ukernel);
  differs(out, "commit", b.meta.commit, n.meta.commit);
  auto dims = [](const std::array<int64_t, 4>& d) {
    return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]) + "x" +
           std::to_string(d[3]);
  };
  differs(out, "input shape", dims(b.shape), dims(n.shape));
  std::fprintf(out, "  %-44s %12s %12s %9s\n", "figure", "baseline", "now", "change");
  row(out, "load warm median (ms)", b.load.warm.median, n.load.warm.median, 3);
  row(out, "load cold (ms)", b.load.cold_ms, n.load.cold_ms, 3);
  row(out, "first run after cold load (ms)", b.load.first_run_ms, n.load.first_run_ms, 3);
  row(out, "peak RSS (KiB)", double(b.peak_rss_kb), double(n.peak_rss_kb), 0);
  for (const ThreadRun& t : n.runs) {
    const ThreadRun* bt = find_threads(b, t.threads);
    if (bt == nullptr) {
      std::fprintf(out, "note: the baseline has no run with %d thread(s)\n", t.threads);
      continue;
    }
    const std::string th = " (" + std::to_string(t.threads) + "T)";
    // A change smaller than twice the larger median absolute deviation is within the noise.
    const double noise = 2 * std::max(bt->latency.mad, t.latency.mad);
    const std::string note =
        std::fabs(t.latency.median - bt->latency.median) <= noise
            ? "within noise (2 x MAD = " + fixed(noise, 2) + " ms)"
            : "";
    row(out, "arena (KiB)" + th, double(bt->arena_bytes) / 1024, double(t.arena_bytes) / 1024, 0);
    row(out, "latency min (ms)" + th, bt->latency.min, t.latency.min, 3);
    row(out, "latency median (ms)" + th, bt->latency.median, t.latency.median, 3, note);
    row(out, "latency p90 (ms)" + th, bt->latency.p90, t.latency.p90, 3);
    row(out, "latency max (ms)" + th, bt->latency.max, t.latency.max, 3);
    row(out, "latency MAD (ms)" + th, bt->latency.mad, t.latency.mad, 3);
    for (const LayerStat& l : t.layers) {
      for (const LayerStat& bl : bt->layers) {
        if (bl.name == l.name && bl.kind == l.kind) {
          row(out, l.name + " median (ms)" + th, bl.median_ms, l.median_ms, 3);
          break;
        }
      }
    }
  }
}

}  // namespace tvlite::bench
