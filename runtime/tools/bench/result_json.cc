#include "bench/result_json.h"

#include <cmath>
#include <fstream>

#include "bench/json.h"

namespace tvlite::bench {
namespace {

constexpr int kFormat = 1;  // "tvlite_bench_format": bumped when a key changes meaning

void put_spread(JsonWriter& w, const Spread& s) {
  w.begin_object();
  w.key("n").value(s.n).key("min").value(s.min).key("p25").value(s.p25);
  w.key("median").value(s.median).key("p75").value(s.p75).key("p90").value(s.p90);
  w.key("max").value(s.max).key("mean").value(s.mean).key("stdev").value(s.stdev);
  w.key("mad").value(s.mad);
  w.end_object();
}

void put_shape(JsonWriter& w, const std::array<int64_t, 4>& s) {
  w.begin_array();
  for (int64_t d : s) w.value(d);
  w.end_array();
}

// Reading: each getter names the key path in its error.
class Reader {
 public:
  explicit Reader(std::string* error) : error_(error) {}

  bool fail(const std::string& path, const char* what) {
    if (ok_) *error_ = "key '" + path + "' " + what;
    ok_ = false;
    return false;
  }
  const JsonValue* get(const JsonValue& obj, const std::string& parent, const char* key,
                       JsonValue::Type type, const char* what) {
    const std::string path = parent.empty() ? key : parent + "." + key;
    const JsonValue* v = obj.find(key);
    if (v == nullptr) {
      fail(path, "is missing");
      return nullptr;
    }
    if (v->type != type) {
      fail(path, what);
      return nullptr;
    }
    return v;
  }
  double num(const JsonValue& obj, const std::string& parent, const char* key, double lo = 0,
             double hi = 1e18) {
    const JsonValue* v = get(obj, parent, key, JsonValue::Type::kNumber, "is not a number");
    if (v == nullptr) return 0;
    if (v->number < lo || v->number > hi) {
      fail(parent.empty() ? key : parent + "." + key, "is out of range");
      return 0;
    }
    return v->number;
  }
  std::string str(const JsonValue& obj, const std::string& parent, const char* key) {
    const JsonValue* v = get(obj, parent, key, JsonValue::Type::kString, "is not a string");
    return v == nullptr ? std::string() : v->string;
  }
  const JsonValue* arr(const JsonValue& obj, const std::string& parent, const char* key) {
    return get(obj, parent, key, JsonValue::Type::kArray, "is not an array");
  }
  const JsonValue* obj(const JsonValue& o, const std::string& parent, const char* key) {
    return get(o, parent, key, JsonValue::Type::kObject, "is not an object");
  }
  Spread spread(const JsonValue& o, const std::string& parent, const char* key) {
    Spread s;
    const JsonValue* v = obj(o, parent, key);
    if (v == nullptr) return s;
    const std::string p = parent.empty() ? key : parent + "." + key;
    s.n = int(num(*v, p, "n", 0, 1e9));
    s.min = num(*v, p, "min");
    s.p25 = num(*v, p, "p25");
    s.median = num(*v, p, "median");
    s.p75 = num(*v, p, "p75");
    s.p90 = num(*v, p, "p90");
    s.max = num(*v, p, "max");
    s.mean = num(*v, p, "mean");
    s.stdev = num(*v, p, "stdev");
    s.mad = num(*v, p, "mad");
    return s;
  }
  bool shape(const JsonValue& o, const std::string& parent, const char* key,
             std::array<int64_t, 4>* out) {
    const JsonValue* v = arr(o, parent, key);
    if (v == nullptr) return false;
    const std::string p = parent.empty() ? key : parent + "." + key;
    if (v->array.size() != 4) return fail(p, "does not have 4 dimensions");
    for (size_t i = 0; i < 4; ++i) {
      if (v->array[i].type != JsonValue::Type::kNumber || v->array[i].number < 0 ||
          v->array[i].number > 1e12) {
        return fail(p, "holds a dimension that is not a number in range");
      }
      (*out)[i] = int64_t(v->array[i].number);
    }
    return true;
  }
  bool ok() const { return ok_; }

 private:
  std::string* error_;
  bool ok_ = true;
};

}  // namespace

std::string result_to_json(const BenchResult& r) {
  const ThreadRun& first = r.runs.front();
  JsonWriter w;
  w.begin_object();
  w.key("tvlite_bench_format").value(kFormat);
  w.key("model").value(r.meta.model_path).key("arch").value(r.meta.arch);
  w.key("shape");
  put_shape(w, r.shape);
  w.key("threads").value(first.threads).key("warmup").value(r.warmup).key("iters").value(r.iters);
  // bench/compare's keys (issue 3): the first thread count.
  w.key("load_ms").value(r.load.warm.median);
  w.key("latency_ms").begin_object();
  w.key("min").value(first.latency.min).key("median").value(first.latency.median);
  w.key("p90").value(first.latency.p90).key("max").value(first.latency.max);
  w.key("mad").value(first.latency.mad).key("stdev").value(first.latency.stdev);
  w.end_object();
  w.key("peak_rss_kb").value(r.peak_rss_kb);
  w.key("arena_bytes").value(int64_t(first.arena_bytes));
  w.key("weights_bytes").value(int64_t(r.meta.model_bytes));

  const Metadata& m = r.meta;
  w.key("meta").begin_object();
  w.key("version").value(m.version).key("commit").value(m.commit).key("compiler").value(m.compiler);
  w.key("model_xxh3").value(m.model_xxh3).key("model_bytes").value(int64_t(m.model_bytes));
  w.key("cpu_model").value(m.cpu_model).key("cpu_count").value(m.cpu_count);
  w.key("cpu_features").begin_array();
  for (const std::string& f : m.cpu_features) w.value(f);
  w.end_array();
  w.key("gemm_ukernel").value(m.ukernel).key("os").value(m.os).key("host").value(m.host);
  w.key("date_utc").value(m.date_utc);
  w.end_object();

  w.key("load").begin_object();
  w.key("cold_ms").value(r.load.cold_ms).key("cold_cache_dropped").value(r.load.cache_dropped);
  w.key("cold_resident_pct").value(r.load.resident_pct).key("cold_note").value(r.load.cold_note);
  w.key("first_run_ms").value(r.load.first_run_ms);
  w.key("warm_ms");
  put_spread(w, r.load.warm);
  w.end_object();

  w.key("runs").begin_array();
  for (const ThreadRun& t : r.runs) {
    w.begin_object();
    w.key("threads").value(t.threads).key("arena_bytes").value(int64_t(t.arena_bytes));
    w.key("latency_ms");
    put_spread(w, t.latency);
    w.key("samples_ms").begin_array();
    for (double s : t.samples_ms) w.value(s);
    w.end_array();
    w.key("profile_iters").value(t.profile_iters);
    w.key("layers").begin_array();
    for (const LayerStat& l : t.layers) {
      w.begin_object();
      w.key("name").value(l.name).key("kind").value(l.kind);
      w.key("in");
      put_shape(w, l.in);
      w.key("out");
      put_shape(w, l.out);
      w.key("macs").value(l.macs).key("flops").value(l.flops);
      w.key("median_ms").value(l.median_ms).key("min_ms").value(l.min_ms);
      w.key("max_ms").value(l.max_ms).key("gflops").value(l.gflops);
      w.key("share_pct").value(l.share_pct);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

bool result_from_json(const std::string& text, BenchResult* r, std::string* error) {
  JsonValue root;
  if (!parse_json(text, &root, error)) return false;
  if (root.type != JsonValue::Type::kObject) {
    *error = "not a tvlite-bench result: the top level is not a JSON object";
    return false;
  }
  const JsonValue* format = root.find("tvlite_bench_format");
  if (format == nullptr || format->type != JsonValue::Type::kNumber) {
    *error = "not a tvlite-bench result (no 'tvlite_bench_format'; written by an older "
             "tvlite-bench or another tool)";
    return false;
  }
  if (format->number != kFormat) {
    *error = "tvlite_bench_format " + std::to_string(format->number) + " is not the " +
             std::to_string(kFormat) + " this build reads";
    return false;
  }
  Reader rd(error);
  *r = BenchResult();
  r->meta.model_path = rd.str(root, "", "model");
  r->meta.arch = rd.str(root, "", "arch");
  rd.shape(root, "", "shape", &r->shape);
  // bench/compare's keys: checked, though "runs" and "load" hold the same in full.
  rd.num(root, "", "threads", 1, 256);
  rd.num(root, "", "load_ms");
  if (const JsonValue* l = rd.obj(root, "", "latency_ms")) {
    for (const char* k : {"min", "median", "p90", "max"}) rd.num(*l, "latency_ms", k);
  }
  r->warmup = int(rd.num(root, "", "warmup", 0, 1e9));
  r->iters = int(rd.num(root, "", "iters", 0, 1e9));
  r->peak_rss_kb = int64_t(rd.num(root, "", "peak_rss_kb"));
  if (const JsonValue* m = rd.obj(root, "", "meta")) {
    Metadata& md = r->meta;
    md.version = rd.str(*m, "meta", "version");
    md.commit = rd.str(*m, "meta", "commit");
    md.compiler = rd.str(*m, "meta", "compiler");
    md.model_xxh3 = rd.str(*m, "meta", "model_xxh3");
    md.model_bytes = uint64_t(rd.num(*m, "meta", "model_bytes"));
    md.cpu_model = rd.str(*m, "meta", "cpu_model");
    md.cpu_count = int(rd.num(*m, "meta", "cpu_count", 0, 1e6));
    if (const JsonValue* f = rd.arr(*m, "meta", "cpu_features")) {
      for (const JsonValue& x : f->array) {
        if (x.type != JsonValue::Type::kString) {
          rd.fail("meta.cpu_features", "holds a value that is not a string");
          break;
        }
        md.cpu_features.push_back(x.string);
      }
    }
    md.ukernel = rd.str(*m, "meta", "gemm_ukernel");
    md.os = rd.str(*m, "meta", "os");
    md.host = rd.str(*m, "meta", "host");
    md.date_utc = rd.str(*m, "meta", "date_utc");
  }
  if (const JsonValue* l = rd.obj(root, "", "load")) {
    r->load.cold_ms = rd.num(*l, "load", "cold_ms");
    r->load.resident_pct = rd.num(*l, "load", "cold_resident_pct", -1, 100);
    r->load.cold_note = rd.str(*l, "load", "cold_note");
    r->load.first_run_ms = rd.num(*l, "load", "first_run_ms");
    r->load.warm = rd.spread(*l, "load", "warm_ms");
    const JsonValue* d = l->find("cold_cache_dropped");
    r->load.cache_dropped = d != nullptr && d->type == JsonValue::Type::kBool && d->boolean;
  }
  const JsonValue* runs = rd.arr(root, "", "runs");
  if (runs != nullptr && runs->array.empty()) rd.fail("runs", "is empty");
  if (runs != nullptr) {
    for (size_t i = 0; i < runs->array.size() && rd.ok(); ++i) {
      const JsonValue& t = runs->array[i];
      const std::string p = "runs[" + std::to_string(i) + "]";
      if (t.type != JsonValue::Type::kObject) {
        rd.fail(p, "is not an object");
        break;
      }
      ThreadRun tr;
      tr.threads = int(rd.num(t, p, "threads", 1, 256));
      tr.arena_bytes = size_t(rd.num(t, p, "arena_bytes"));
      tr.latency = rd.spread(t, p, "latency_ms");
      tr.profile_iters = int(rd.num(t, p, "profile_iters", 0, 1e9));
      if (const JsonValue* s = rd.arr(t, p, "samples_ms")) {
        for (const JsonValue& x : s->array) {
          if (x.type != JsonValue::Type::kNumber || x.number < 0) {
            rd.fail(p + ".samples_ms", "holds a value that is not a non-negative number");
            break;
          }
          tr.samples_ms.push_back(x.number);
        }
      }
      if (const JsonValue* ls = rd.arr(t, p, "layers")) {
        for (size_t k = 0; k < ls->array.size() && rd.ok(); ++k) {
          const JsonValue& x = ls->array[k];
          const std::string lp = p + ".layers[" + std::to_string(k) + "]";
          if (x.type != JsonValue::Type::kObject) {
            rd.fail(lp, "is not an object");
            break;
          }
          LayerStat l;
          l.name = rd.str(x, lp, "name");
          l.kind = rd.str(x, lp, "kind");
          rd.shape(x, lp, "in", &l.in);
          rd.shape(x, lp, "out", &l.out);
          l.macs = int64_t(rd.num(x, lp, "macs"));
          l.flops = int64_t(rd.num(x, lp, "flops"));
          l.median_ms = rd.num(x, lp, "median_ms");
          l.min_ms = rd.num(x, lp, "min_ms");
          l.max_ms = rd.num(x, lp, "max_ms");
          l.gflops = rd.num(x, lp, "gflops");
          l.share_pct = rd.num(x, lp, "share_pct", 0, 100.001);
          tr.layers.push_back(std::move(l));
        }
      }
      r->runs.push_back(std::move(tr));
    }
  }
  return rd.ok();
}

bool read_result_file(const std::string& path, BenchResult* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read '" + path + "'";
    return false;
  }
  // Bounded read: the path may name a device or a huge file.
  constexpr size_t kMax = size_t(64) << 20;
  std::string text;
  char buf[65536];
  while (text.size() <= kMax && in.read(buf, sizeof buf).gcount() > 0) {
    text.append(buf, size_t(in.gcount()));
  }
  if (text.size() > kMax) {
    *error = "'" + path + "' is larger than 64 MiB, not a tvlite-bench result";
    return false;
  }
  if (!result_from_json(text, out, error)) {
    *error = "'" + path + "': " + *error;
    return false;
  }
  return true;
}

}  // namespace tvlite::bench
