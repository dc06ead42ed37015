#include <cinttypes>
#include <string>

#include "bench/report.h"

namespace tvlite::bench {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_text(const BenchResult& r, std::FILE* out) {
  const Metadata& m = r.meta;
  std::fprintf(out, "%s (%s), input %" PRId64 "x%" PRId64 "x%" PRId64 "x%" PRId64
               ", %d iterations after %d warm-up\n",
               m.model_path.c_str(), m.arch.c_str(), r.shape[0], r.shape[1], r.shape[2],
               r.shape[3], r.iters, r.warmup);
  std::string features;
  for (const std::string& f : m.cpu_features) features += (features.empty() ? "" : " ") + f;
  std::fprintf(out, "build     tvlite %s, commit %s, %s\n", m.version.c_str(), m.commit.c_str(),
               m.compiler.c_str());
  std::fprintf(out, "model     %" PRIu64 " bytes, XXH3-64 %s\n", m.model_bytes,
               m.model_xxh3.c_str());
  std::fprintf(out, "cpu       %s, %d CPUs, features [%s], GEMM micro-kernel %s\n",
               m.cpu_model.c_str(), m.cpu_count, features.c_str(), m.ukernel.c_str());
  std::fprintf(out, "system    %s, host %s, %s\n", m.os.c_str(), m.host.c_str(),
               m.date_utc.c_str());
  std::fprintf(out, "load      warm %.2f ms median of %d (min %.2f, max %.2f), open to ready\n",
               r.load.warm.median, r.load.warm.n, r.load.warm.min, r.load.warm.max);
  std::fprintf(out, "          cold %.2f ms, then first run %.2f ms; cold = %s\n", r.load.cold_ms,
               r.load.first_run_ms, r.load.cold_note.c_str());
  for (const ThreadRun& t : r.runs) {
    const Spread& s = t.latency;
    std::fprintf(out,
                 "latency   %d thread(s): min %.2f  median %.2f  p90 %.2f  max %.2f ms  "
                 "(MAD %.2f, stdev %.2f, n %d)\n",
                 t.threads, s.min, s.median, s.p90, s.max, s.mad, s.stdev, s.n);
  }
  std::fprintf(out, "memory    peak RSS %" PRId64 " KiB, arena %zu KiB, file %" PRIu64
               " KiB (mapped)\n",
               r.peak_rss_kb, r.runs.front().arena_bytes / 1024, m.model_bytes / 1024);
  if (r.runs.size() > 1) {
    std::fprintf(out, "threads   ");
    for (const ThreadRun& t : r.runs) {
      std::fprintf(out, "%d: %.2f ms (x%.2f)  ", t.threads, t.latency.median,
                   t.latency.median > 0 ? r.runs.front().latency.median / t.latency.median : 0.0);
    }
    std::fprintf(out, "\n");
  }
  for (const ThreadRun& t : r.runs) {
    if (t.layers.empty()) continue;
    double total = 0;
    for (const LayerStat& l : t.layers) total += l.median_ms;
    std::fprintf(out, "\nper layer, %d thread(s), median of %d profiled runs (sum %.2f ms):\n",
                 t.threads, t.profile_iters, total);
    std::fprintf(out, "  %-3s %-22s %-18s %-16s %9s %8s %7s\n", "#", "layer", "kind", "output",
                 "ms", "GFLOP/s", "share");
    for (size_t i = 0; i < t.layers.size(); ++i) {
      const LayerStat& l = t.layers[i];
      const std::string shape = std::to_string(l.out[1]) + "x" + std::to_string(l.out[2]) + "x" +
                                std::to_string(l.out[3]);
      std::fprintf(out, "  %-3zu %-22s %-18s %-16s %9.3f %8.1f %6.1f%%\n", i, l.name.c_str(),
                   l.kind.c_str(), shape.c_str(), l.median_ms, l.gflops, l.share_pct);
    }
  }
}

}  // namespace tvlite::bench
