#include "bench/measure.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/metadata.h"
#include "tvlite/model.h"
#include "tvlite/profile.h"
#include "tvlite/session.h"

namespace tvlite::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Percentage of the file's pages in the page cache (mincore on a mapping that touches nothing);
// -1 when it cannot be told.
double resident_pct(int fd) {
  const off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0) return -1;
  void* p = mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return -1;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const size_t pages = (size_t(size) + page - 1) / page;
  std::vector<unsigned char> vec(pages);
  double pct = -1;
  if (mincore(p, size_t(size), vec.data()) == 0) {
    size_t in = 0;
    for (unsigned char b : vec) in += b & 1u;
    pct = 100.0 * double(in) / double(pages);
  }
  munmap(p, size_t(size));
  return pct;
}

// Drops the file from the page cache where the kernel allows it and says what happened.
void prepare_cold(const std::string& path, bool drop, LoadStats* load) {
  // O_NONBLOCK: a FIFO must not hang the tool here; Model::open refuses what is not a file.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;  // Model::open reports the error
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return;
  }
  if (drop) {
    fdatasync(fd);
    load->cache_dropped = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  }
  load->resident_pct = resident_pct(fd);
  close(fd);
  char buf[256];
  if (!drop) {
    std::snprintf(buf, sizeof buf, "first open in this process, page cache as found (%.0f %% of "
                  "the file resident)", load->resident_pct);
  } else if (load->cache_dropped) {
    std::snprintf(buf, sizeof buf, "first open in this process after posix_fadvise(DONTNEED) "
                  "dropped the file from the page cache (%.0f %% still resident: pages other "
                  "processes map stay)", load->resident_pct);
  } else {
    std::snprintf(buf, sizeof buf, "first open in this process; the page cache could not be "
                  "dropped (%.0f %% of the file resident)", load->resident_pct);
  }
  load->cold_note = buf;
}

// Keeps every op record of the profiled runs in memory reserved before them.
class RecordingSink : public ProfileSink {
 public:
  explicit RecordingSink(size_t capacity) : capacity_(capacity) { records_.reserve(capacity); }
  void on_op(const OpProfile& op) override {
    if (records_.size() < capacity_) {
      records_.push_back(op);
    } else {
      ++dropped_;
    }
  }
  const std::vector<OpProfile>& records() const { return records_; }
  size_t received() const { return records_.size() + dropped_; }

 private:
  size_t capacity_;
  size_t dropped_ = 0;
  std::vector<OpProfile> records_;
};

std::vector<LayerStat> layer_stats(const std::vector<OpProfile>& records, int ops, int iters) {
  std::vector<LayerStat> layers(static_cast<size_t>(ops));
  double total = 0;
  for (int i = 0; i < ops; ++i) {
    const OpProfile& r = records[size_t(i)];
    LayerStat& l = layers[size_t(i)];
    l.name = r.name;
    l.kind = r.kind;
    for (int d = 0; d < 4; ++d) {
      l.in[size_t(d)] = r.in_shape[d];
      l.out[size_t(d)] = r.out_shape[d];
    }
    l.macs = r.macs;
    l.flops = r.flops;
    std::vector<double> ms;
    for (int it = 0; it < iters; ++it) ms.push_back(double(records[size_t(it * ops + i)].elapsed_ns) * 1e-6);
    const Spread s = spread_of(ms);
    l.median_ms = s.median;
    l.min_ms = s.min;
    l.max_ms = s.max;
    l.gflops = s.median > 0 ? double(l.flops) / (s.median * 1e6) : 0;
    total += s.median;
  }
  for (LayerStat& l : layers) l.share_pct = total > 0 ? 100.0 * l.median_ms / total : 0;
  return layers;
}

struct Runner {
  const Options& o;
  const Shape4 shape;
  std::vector<float> input, output;

  bool run(Session& session, ThreadRun* tr, double* first_run_ms, std::string* error) {
    tr->threads = session.threads();
    tr->arena_bytes = session.arena_bytes();
    output.assign(size_t(shape.n * session.num_classes()), 0.0f);
    for (long i = 0; i < o.warmup + o.iters; ++i) {
      const auto t = Clock::now();
      const Status st = session.run(shape, input.data(), output.data());
      if (!st) {
        *error = st.to_string();
        return false;
      }
      const double ms = ms_since(t);
      if (i == 0 && first_run_ms != nullptr) *first_run_ms = ms;
      if (i >= o.warmup) tr->samples_ms.push_back(ms);
    }
    tr->latency = spread_of(tr->samples_ms);
    if (!o.profile) return true;
    // Profiled runs come after the timed ones, so profiling never touches the latency figures.
    const int ops = session.num_ops();
    RecordingSink sink(size_t(ops) * size_t(o.iters));
    for (long i = 0; i < o.iters; ++i) {
      const Status st = session.run(shape, input.data(), output.data(), &sink);
      if (!st) {
        *error = st.to_string();
        return false;
      }
    }
    if (sink.received() != size_t(ops) * size_t(o.iters)) {
      *error = "the profiled runs reported " + std::to_string(sink.received()) +
               " op records, expected " + std::to_string(ops) + " x " + std::to_string(o.iters);
      return false;
    }
    tr->layers = layer_stats(sink.records(), ops, int(o.iters));
    tr->profile_iters = int(o.iters);
    return true;
  }
};

Result<std::unique_ptr<Session>> open_session(const std::shared_ptr<const Model>& model,
                                              int threads, const Shape4& shape) {
  SessionOptions so;
  so.threads = threads;
  auto session = Session::create(model, so);
  if (!session) return session.status();
  const Status prepared = (*session)->prepare(shape);
  if (!prepared) return prepared;
  return session;
}

}  // namespace

bool run_benchmark(const Options& o, BenchResult* r, std::string* error) {
  const std::string& path = o.model_path;
  r->meta = collect_metadata();
  r->meta.model_path = path;
  r->warmup = int(o.warmup);
  r->iters = int(o.iters);
  prepare_cold(path, o.drop_cache, &r->load);

  // Cold: open to ready, the first time in this process.
  auto t0 = Clock::now();
  auto model = Model::open(path);
  if (!model) {
    *error = path + ": " + model.status().to_string();
    return false;
  }
  Shape4 shape{1, 3, (*model)->input().height, (*model)->input().width};
  if (!o.shape_text.empty() && !tvlite::parse_shape(o.shape_text, &shape)) {
    *error = "--shape takes NxCxHxW, got '" + o.shape_text + "'";
    return false;
  }
  auto session = open_session(*model, o.threads[0], shape);
  if (!session) {
    *error = session.status().to_string();
    return false;
  }
  r->load.cold_ms = ms_since(t0);
  r->shape = {shape.n, shape.c, shape.h, shape.w};
  r->meta.arch = (*model)->arch().name;
  r->meta.model_bytes = (*model)->size();

  Runner runner{o, shape, {}, {}};
  runner.input.resize(size_t(shape.n * shape.c * shape.h * shape.w));
  for (size_t i = 0; i < runner.input.size(); ++i) {
    runner.input[i] = float(int(i % 255) - 127) / 128.0f;
  }
  r->runs.emplace_back();
  if (!runner.run(**session, &r->runs.back(), &r->load.first_run_ms, error)) return false;
  session->reset();

  // Warm: the same again with the file in the page cache (one session alive at a time, so the
  // peak RSS stays that of one session).
  std::vector<double> warm;
  for (long i = 0; i < o.loads; ++i) {
    t0 = Clock::now();
    auto m = Model::open(path);
    if (!m) {
      *error = path + ": " + m.status().to_string();
      return false;
    }
    auto s = open_session(*m, o.threads[0], shape);
    if (!s) {
      *error = s.status().to_string();
      return false;
    }
    warm.push_back(ms_since(t0));
  }
  r->load.warm = spread_of(warm);

  for (size_t k = 1; k < o.threads.size(); ++k) {
    auto s = open_session(*model, o.threads[k], shape);
    if (!s) {
      *error = s.status().to_string();
      return false;
    }
    r->runs.emplace_back();
    if (!runner.run(**s, &r->runs.back(), nullptr, error)) return false;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  r->peak_rss_kb = ru.ru_maxrss;
  // Last, as it reads every byte of the file.
  r->meta.model_xxh3 = xxh3_hex((*model)->bytes(), (*model)->size());
  return true;
}

}  // namespace tvlite::bench
