// A self-contained HTML page: inline CSS and SVG, no scripts, no external URL.
#include <algorithm>
#include <cmath>
#include <string>

#include "bench/report.h"

namespace tvlite::bench {
namespace {

const char* const kColors[4] = {"#3b6fc4", "#e07b39", "#3a9a5b", "#8e5bb5"};

std::string num(double v) { return fixed(v, 1); }

std::string dims(const std::array<int64_t, 4>& d) {
  return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]) + "x" +
         std::to_string(d[3]);
}

std::string text_el(double x, double y, const std::string& s, const char* anchor = "start",
                    const char* extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\"" +
         extra + ">" + html_escape(s) + "</text>\n";
}

std::string rect(double x, double y, double w, double h, const char* fill,
                 const std::string& title = "", const char* extra = "") {
  std::string s = "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" +
                  num(std::max(w, 0.5)) + "\" height=\"" + num(h) + "\" fill=\"" + fill + "\"" +
                  extra;
  if (title.empty()) return s + "/>\n";
  return s + "><title>" + html_escape(title) + "</title></rect>\n";
}

std::string line(double x1, double y1, double x2, double y2, const char* stroke,
                 double width = 1) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
         num(y2) + "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(width) + "\"/>\n";
}

// A "nice" axis maximum and tick step for values up to `max`.
double nice_step(double max, int ticks) {
  const double raw = max / ticks;
  if (raw <= 0) return 1;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10 * mag;
}

std::string axis(double x0, double width, double y, double max, const std::string& unit,
                 double* scale_max) {
  const double step = nice_step(max, 5);
  const double top = std::ceil(max / step) * step;
  *scale_max = top > 0 ? top : 1;
  std::string s = line(x0, y, x0 + width, y, "#888");
  for (double v = 0; v <= top + step * 0.01; v += step) {
    const double x = x0 + width * v / *scale_max;
    s += line(x, y, x, y + 4, "#888");
    s += text_el(x, y + 16, fixed(v, step < 1 ? 2 : step < 10 ? 1 : 0), "middle",
                 " class=\"tick\"");
  }
  s += text_el(x0 + width, y + 30, unit, "end", " class=\"tick\"");
  return s;
}

struct Series {
  std::string label;
  const ThreadRun* run;
};

// One run: every thread count; two runs: the first thread count of each.
std::vector<Series> layer_series(const std::vector<const BenchResult*>& rs,
                                 const std::vector<std::string>& labels) {
  std::vector<Series> out;
  if (rs.size() == 1) {
    for (const ThreadRun& t : rs[0]->runs) {
      out.push_back({labels[0] + ", " + std::to_string(t.threads) + " thread(s)", &t});
    }
  } else {
    for (size_t k = 0; k < rs.size(); ++k) {
      const ThreadRun& t = rs[k]->runs.front();
      out.push_back({labels[k] + ", " + std::to_string(t.threads) + " thread(s)", &t});
    }
  }
  if (out.size() > 4) out.resize(4);
  return out;
}

// Per-layer bars, one per series; layers matched by name.
std::string layer_chart(const std::vector<Series>& series) {
  std::vector<std::string> names;
  double max = 0;
  for (const Series& se : series) {
    for (const LayerStat& l : se.run->layers) {
      if (std::find(names.begin(), names.end(), l.name) == names.end()) names.push_back(l.name);
      max = std::max(max, l.median_ms);
    }
  }
  if (names.empty()) return "<p>No per-layer profile in this result (run with --profile).</p>\n";
  auto find = [](const ThreadRun* t, const std::string& name) -> const LayerStat* {
    for (const LayerStat& l : t->layers) {
      if (l.name == name) return &l;
    }
    return nullptr;
  };
  const double n = double(series.size());
  const double label_w = 170, bar_w = 520, bar_h = 12, gap = 6;
  const double row_h = bar_h * n + gap;
  const double height = 20 + row_h * double(names.size()) + 40;
  std::string s = "<svg class=\"chart\" width=\"960\" height=\"" + num(height) +
                  "\" viewBox=\"0 0 960 " + num(height) + "\" role=\"img\">\n";
  for (size_t k = 0; k < series.size(); ++k) {
    s += rect(label_w + 230 * double(k), 2, 10, 10, kColors[k]);
    s += text_el(label_w + 230 * double(k) + 14, 11, series[k].label);
  }
  double scale = 1;
  const std::string ax = axis(label_w, bar_w, 20 + row_h * double(names.size()), max,
                              "ms per layer (median)", &scale);
  for (size_t i = 0; i < names.size(); ++i) {
    const double y = 20 + row_h * double(i);
    s += text_el(label_w - 6, y + bar_h * n / 2 + 4, names[i], "end");
    for (size_t k = 0; k < series.size(); ++k) {
      const LayerStat* l = find(series[k].run, names[i]);
      if (l == nullptr) continue;
      const double w = bar_w * l->median_ms / scale;
      const double by = y + bar_h * double(k);
      s += rect(label_w, by, w, bar_h - 1, kColors[k],
                series[k].label + ": " + l->name + " (" + l->kind + ", " + dims(l->in) + " -> " +
                    dims(l->out) + "): " + fixed(l->median_ms, 3) + " ms median, min " +
                    fixed(l->min_ms, 3) + ", max " + fixed(l->max_ms, 3) + "; " +
                    fixed(l->gflops, 1) + " GFLOP/s; " + fixed(l->share_pct, 1) + " %");
      s += text_el(label_w + w + 4, by + bar_h - 2,
                   fixed(l->median_ms, 2) + " ms  " + fixed(l->share_pct, 1) + " %  " +
                       fixed(l->gflops, 1) + " GFLOP/s",
                   "start", " class=\"small\"");
    }
  }
  return s + ax + "</svg>\n";
}

// Box (p25..p75, median line, p90 tick, min..max whiskers) and every sample as a dot, one row
// per result and thread count on a shared axis; then a histogram of each first thread count.
std::string latency_chart(const std::vector<const BenchResult*>& rs,
                          const std::vector<std::string>& labels) {
  double max = 0;
  int rows = 0;
  for (const BenchResult* r : rs) {
    for (const ThreadRun& t : r->runs) {
      max = std::max(max, t.latency.max);
      ++rows;
    }
  }
  const double x0 = 170, width = 640, row_h = 34;
  const double box_h = 20 + row_h * rows + 40;
  const int bins = 24;
  const double hist_h = 120;
  const double height = box_h + hist_h + 60;
  std::string s = "<svg class=\"chart\" width=\"960\" height=\"" + num(height) +
                  "\" viewBox=\"0 0 960 " + num(height) + "\" role=\"img\">\n";
  double scale = 1;
  const std::string ax = axis(x0, width, 20 + row_h * rows, max, "latency (ms)", &scale);
  int row = 0;
  for (size_t k = 0; k < rs.size(); ++k) {
    for (const ThreadRun& t : rs[k]->runs) {
      const Spread& l = t.latency;
      const double y = 20 + row_h * row++, mid = y + row_h / 2 - 4;
      auto X = [&](double v) { return x0 + width * v / scale; };
      s += text_el(x0 - 6, mid + 4, labels[k] + ", " + std::to_string(t.threads) + "T", "end");
      s += line(X(l.min), mid, X(l.max), mid, "#555");
      s += rect(X(l.p25), mid - 8, X(l.p75) - X(l.p25), 16, kColors[k],
                "min " + fixed(l.min, 3) + ", p25 " + fixed(l.p25, 3) + ", median " +
                    fixed(l.median, 3) + ", p75 " + fixed(l.p75, 3) + ", p90 " +
                    fixed(l.p90, 3) + ", max " + fixed(l.max, 3) + " ms; MAD " +
                    fixed(l.mad, 3) + ", n " + std::to_string(l.n),
                " fill-opacity=\"0.35\"");
      s += line(X(l.median), mid - 10, X(l.median), mid + 10, kColors[k], 2.5);
      s += line(X(l.p90), mid - 6, X(l.p90), mid + 6, "#555", 1.5);
      for (size_t i = 0; i < t.samples_ms.size(); ++i) {
        const double dy = double(int(i * 7 % 11) - 5);  // deterministic jitter
        s += "<circle cx=\"" + num(X(t.samples_ms[i])) + "\" cy=\"" + num(mid + dy) +
             "\" r=\"1.8\" fill=\"#222\" fill-opacity=\"0.6\"/>\n";
      }
      s += text_el(X(l.max) + 6, mid + 4,
                   "median " + fixed(l.median, 2) + " ms, p90 " + fixed(l.p90, 2) + ", MAD " +
                       fixed(l.mad, 2),
                   "start", " class=\"small\"");
    }
  }
  s += ax;
  // Histogram over [min, max] of all first-thread-count samples.
  double lo = 1e300, hi = 0;
  for (const BenchResult* r : rs) {
    for (double v : r->runs.front().samples_ms) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (hi <= lo) hi = lo + 1e-3;
  const double hy = box_h + 10;
  std::vector<std::vector<int>> counts(rs.size(), std::vector<int>(bins, 0));
  int top = 1;
  for (size_t k = 0; k < rs.size(); ++k) {
    for (double v : rs[k]->runs.front().samples_ms) {
      const int b = std::min(bins - 1, int((v - lo) / (hi - lo) * bins));
      top = std::max(top, ++counts[k][size_t(std::max(b, 0))]);
    }
  }
  const double bw = width / bins;
  for (size_t k = 0; k < rs.size(); ++k) {
    for (int b = 0; b < bins; ++b) {
      const int c = counts[k][size_t(b)];
      if (c == 0) continue;
      const double h = hist_h * c / top;
      const double bx = x0 + bw * b + (bw / double(rs.size())) * double(k);
      s += rect(bx, hy + hist_h - h, bw / double(rs.size()) - 1, h, kColors[k],
                labels[k] + ": " + std::to_string(c) + " runs in [" +
                    fixed(lo + (hi - lo) * b / bins, 3) + ", " +
                    fixed(lo + (hi - lo) * (b + 1) / bins, 3) + ") ms");
    }
  }
  s += text_el(x0 - 6, hy + 10, std::to_string(top) + " runs", "end", " class=\"tick\"");
  s += text_el(x0 - 6, hy + hist_h / 2, "runs per bin", "end");
  s += line(x0, hy + hist_h, x0 + width, hy + hist_h, "#888");
  s += text_el(x0, hy + hist_h + 16, fixed(lo, 2) + " ms", "middle", " class=\"tick\"");
  s += text_el(x0 + width, hy + hist_h + 16, fixed(hi, 2) + " ms", "middle", " class=\"tick\"");
  s += text_el(x0 + width / 2, hy + hist_h + 30,
               "histogram of the timed runs (first thread count), " + std::to_string(bins) +
                   " bins",
               "middle", " class=\"tick\"");
  return s + "</svg>\n";
}

void meta_row(std::string* s, const char* name, const std::vector<std::string>& values) {
  *s += "<tr><th>" + html_escape(name) + "</th>";
  for (const std::string& v : values) *s += "<td>" + html_escape(v) + "</td>";
  *s += "</tr>\n";
}

std::string metadata_table(const std::vector<const BenchResult*>& rs,
                           const std::vector<std::string>& labels) {
  std::string s = "<table><tr><th></th>";
  for (const std::string& l : labels) s += "<th>" + html_escape(l) + "</th>";
  s += "</tr>\n";
  auto each = [&](auto f) {
    std::vector<std::string> v;
    for (const BenchResult* r : rs) v.push_back(f(*r));
    return v;
  };
  meta_row(&s, "tvlite", each([](const BenchResult& r) {
             return r.meta.version + ", commit " + r.meta.commit;
           }));
  meta_row(&s, "compiler", each([](const BenchResult& r) { return r.meta.compiler; }));
  meta_row(&s, "model", each([](const BenchResult& r) {
             return r.meta.model_path + " (" + r.meta.arch + ")";
           }));
  meta_row(&s, "model XXH3-64", each([](const BenchResult& r) {
             return r.meta.model_xxh3 + ", " + std::to_string(r.meta.model_bytes) + " bytes";
           }));
  meta_row(&s, "CPU", each([](const BenchResult& r) {
             return r.meta.cpu_model + ", " + std::to_string(r.meta.cpu_count) + " CPUs";
           }));
  meta_row(&s, "features, micro-kernel", each([](const BenchResult& r) {
             std::string f;
             for (const std::string& x : r.meta.cpu_features) f += (f.empty() ? "" : " ") + x;
             return "[" + f + "] " + r.meta.ukernel;
           }));
  meta_row(&s, "system", each([](const BenchResult& r) {
             return r.meta.os + ", host " + r.meta.host;
           }));
  meta_row(&s, "date", each([](const BenchResult& r) { return r.meta.date_utc; }));
  meta_row(&s, "input, runs", each([](const BenchResult& r) {
             return dims(r.shape) + ", " + std::to_string(r.warmup) + " warm-up, " +
                    std::to_string(r.iters) + " timed";
           }));
  meta_row(&s, "cold load means", each([](const BenchResult& r) { return r.load.cold_note; }));
  return s + "</table>\n";
}

std::string figures_table(const std::vector<const BenchResult*>& rs,
                          const std::vector<std::string>& labels) {
  std::string s = "<table><tr><th>figure</th>";
  for (const std::string& l : labels) s += "<th>" + html_escape(l) + "</th>";
  if (rs.size() == 2) s += "<th>change</th>";
  s += "</tr>\n";
  auto add = [&](const std::string& name, auto get, int decimals) {
    s += "<tr><th>" + html_escape(name) + "</th>";
    std::vector<double> v;
    for (const BenchResult* r : rs) {
      v.push_back(get(*r));
      s += "<td class=\"n\">" + (std::isnan(v.back()) ? "-" : fixed(v.back(), decimals)) + "</td>";
    }
    if (rs.size() == 2) {
      const bool ok = !std::isnan(v[0]) && !std::isnan(v[1]) && v[0] != 0;
      s += "<td class=\"n\">" + (ok ? fixed(100 * (v[1] - v[0]) / v[0], 1) + " %" : "-") +
           "</td>";
    }
    s += "</tr>\n";
  };
  add("load, warm median (ms)", [](const BenchResult& r) { return r.load.warm.median; }, 3);
  add("load, cold (ms)", [](const BenchResult& r) { return r.load.cold_ms; }, 3);
  add("first run after cold load (ms)", [](const BenchResult& r) { return r.load.first_run_ms; },
      3);
  add("peak RSS (KiB)", [](const BenchResult& r) { return double(r.peak_rss_kb); }, 0);
  std::vector<int> threads;
  for (const BenchResult* r : rs) {
    for (const ThreadRun& t : r->runs) {
      if (std::find(threads.begin(), threads.end(), t.threads) == threads.end()) {
        threads.push_back(t.threads);
      }
    }
  }
  for (int th : threads) {
    auto pick = [th](const BenchResult& r, auto f) {
      for (const ThreadRun& t : r.runs) {
        if (t.threads == th) return f(t);
      }
      return std::nan("");
    };
    const std::string T = ", " + std::to_string(th) + "T";
    add("arena (KiB)" + T, [&](const BenchResult& r) {
      return pick(r, [](const ThreadRun& t) { return double(t.arena_bytes) / 1024; });
    }, 0);
    const char* names[] = {"min", "median", "p90", "max", "MAD", "stdev"};
    for (int i = 0; i < 6; ++i) {
      add(std::string("latency ") + names[i] + " (ms)" + T, [&](const BenchResult& r) {
        return pick(r, [i](const ThreadRun& t) {
          const Spread& l = t.latency;
          const double v[] = {l.min, l.median, l.p90, l.max, l.mad, l.stdev};
          return v[i];
        });
      }, 3);
    }
  }
  return s + "</table>\n";
}

}  // namespace

std::string html_escape(const std::string& in) {
  std::string s;
  for (char c : in) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      case '\'': s += "&#39;"; break;
      default: s += c;
    }
  }
  return s;
}

std::string render_html(const std::vector<const BenchResult*>& rs,
                        const std::vector<std::string>& labels) {
  std::string title = "tvlite-bench: " + rs[0]->meta.arch;
  if (rs.size() == 2) title += " - " + labels[0] + " vs " + labels[1];
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
      html_escape(title) +
      "</title>\n<style>\nbody{font:14px/1.4 sans-serif;margin:24px;color:#222}\n"
      "table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #ccc;"
      "padding:3px 8px;text-align:left;vertical-align:top}td.n{text-align:right;"
      "font-variant-numeric:tabular-nums}\nsvg text{font:12px sans-serif;fill:#222}"
      "svg text.small{font-size:10px;fill:#444}svg text.tick{font-size:10px;fill:#666}\n"
      "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n";
  s += "<h2>What was measured</h2>\n" + metadata_table(rs, labels);
  s += "<h2>Figures</h2>\n" + figures_table(rs, labels);
  s += "<h2>Latency distribution</h2>\n" + latency_chart(rs, labels);
  s += "<h2>Per layer</h2>\n<p>Median time of each op over the profiled runs (ops after fusion: "
       "a conv includes its batch norm, residual add and ReLU). Hover a bar for its shapes and "
       "spread.</p>\n" + layer_chart(layer_series(rs, labels));
  s += "<p class=\"small\">Generated by tvlite-bench; self-contained (no scripts, no external "
       "resources).</p>\n</body></html>\n";
  return s;
}

}  // namespace tvlite::bench
