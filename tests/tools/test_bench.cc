// tvlite-bench: the profile hook of Session::run, the result formats (JSON, CSV, HTML), the
// comparison against a baseline, and the JSON reader on anything a user may hand it.
// No timing thresholds: only structure and sane values.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "bench/json.h"
#include "bench/result_json.h"
#include "common/process.h"
#include "runtime/tvl_builder.h"
#include "tools/tool_fixture.h"
#include "tvlite/model.h"
#include "tvlite/profile.h"
#include "tvlite/session.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

using tvlite::test::CommandResult;
using tvlite::test::run_command;
using tvlite::test::shell_quote;

namespace {

// Outputs go to a folder of this process (tool_fixture.h says why), removed at exit.
const tvlite::test::OutDir kOut("bench");
const std::string& kDir = kOut.path;
const std::string& kBin = tvlite::test::tool_bin();

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A resnet18 with 10 classes and seeded weights; made once per run.
const std::string& model_path() {
  static const std::string path = tvlite::test::write_resnet18(kDir, 7);
  return path;
}

CommandResult bench(const std::string& args) {
  return run_command(kBin + "/tvlite-bench " + shell_quote(model_path()) + " " + args);
}

bool is_clean_error(const CommandResult& r) {
  return r.exit_code == 1 && r.output.rfind("error: ", 0) == 0;
}

// Ops one run of the model executes, asked of the library.
int graph_ops() {
  auto model = tvlite::Model::open(model_path());
  REQUIRE(model);
  auto session = tvlite::Session::create(*model);
  REQUIRE(session);
  return (*session)->num_ops();
}

struct Collect : tvlite::ProfileSink {
  std::vector<tvlite::OpProfile> ops;
  void on_op(const tvlite::OpProfile& op) override { ops.push_back(op); }
};

// One short benchmark with every output, shared by the cases below.
struct Outputs {
  std::string json, csv, html, text;
};
const Outputs& outputs() {
  static const Outputs o = [] {
    Outputs out{kDir + "/run.json", kDir + "/run.csv", kDir + "/run.html", ""};
    const CommandResult r =
        bench("--iters 3 --warmup 1 --loads 2 --shape 1x3x32x32 --threads 1,2 --json-out " +
              shell_quote(out.json) + " --csv " + shell_quote(out.csv) + " --html " +
              shell_quote(out.html));
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    out.text = r.output;
    return out;
  }();
  return o;
}

}  // namespace

TEST_CASE("profile: one record per op, in order, and the same logits as an unprofiled run") {
  auto model = tvlite::Model::open(model_path());
  REQUIRE(model);
  auto session = tvlite::Session::create(*model);
  REQUIRE(session);
  const tvlite::Shape4 shape{1, 3, 32, 32};
  std::vector<float> input(3 * 32 * 32);
  for (size_t i = 0; i < input.size(); ++i) input[i] = float(i % 17) * 0.1f - 0.8f;
  std::vector<float> plain(10), profiled(10);
  REQUIRE((*session)->run(shape, input.data(), plain.data()));
  Collect sink;
  REQUIRE((*session)->run(shape, input.data(), profiled.data(), &sink));
  CHECK(std::memcmp(plain.data(), profiled.data(), plain.size() * sizeof(float)) == 0);

  // resnet18 after fusion: conv1, maxpool, 16 block convs, 3 downsample convs, avgpool, fc.
  REQUIRE(sink.ops.size() == 23);
  CHECK((*session)->num_ops() == 23);
  std::set<std::string> names;
  int64_t macs = 0;
  for (size_t i = 0; i < sink.ops.size(); ++i) {
    const tvlite::OpProfile& op = sink.ops[i];
    CHECK(op.index == int(i));
    CHECK(op.elapsed_ns >= 0);
    CHECK(op.flops >= op.macs);
    names.insert(op.name);
    macs += op.macs;
  }
  CHECK(names.size() == 23);
  CHECK(std::string(sink.ops[0].name) == "conv1");
  CHECK(std::string(sink.ops[0].kind) == "conv");
  CHECK(sink.ops[0].out_shape[1] == 64);
  CHECK(sink.ops[0].out_shape[2] == 16);
  CHECK(sink.ops[0].macs == int64_t(64) * 3 * 7 * 7 * 16 * 16);
  CHECK(std::string(sink.ops[1].kind) == "max_pool");
  CHECK(std::string(sink.ops[22].name) == "fc");
  CHECK(sink.ops[22].macs == 512 * 10);
  CHECK(names.count("layer4.1.conv2") == 1);
  CHECK(names.count("layer2.0.downsample.0") == 1);
  // torchvision's resnet18 at 224x224 is 1.82 GMACs; at 32x32 the convs scale by (32/224)^2
  // except where rounding of odd sizes differs, so just bound it.
  CHECK(macs > 30000000);
  CHECK(macs < 60000000);
}

TEST_CASE("tvlite-bench: JSON with the keys bench/compare reads, metadata and sane values") {
  const CommandResult r = bench("--iters 4 --warmup 1 --loads 2 --shape 1x3x32x32 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  tvlite::bench::JsonValue root;
  std::string err;
  REQUIRE_MESSAGE(tvlite::bench::parse_json(r.output, &root, &err), err);
  for (const char* key : {"load_ms", "peak_rss_kb", "arena_bytes", "weights_bytes", "threads"}) {
    const tvlite::bench::JsonValue* v = root.find(key);
    REQUIRE_MESSAGE(v != nullptr, key);
    CHECK(v->type == tvlite::bench::JsonValue::Type::kNumber);
    CHECK(v->number > 0);
  }
  const tvlite::bench::JsonValue* lat = root.find("latency_ms");
  REQUIRE(lat != nullptr);
  double prev = 0;
  for (const char* key : {"min", "median", "p90", "max"}) {
    const tvlite::bench::JsonValue* v = lat->find(key);
    REQUIRE_MESSAGE(v != nullptr, key);
    CHECK(v->number > 0);
    CHECK(v->number >= prev);
    prev = v->number;
  }

  tvlite::bench::BenchResult res;
  REQUIRE_MESSAGE(tvlite::bench::result_from_json(r.output, &res, &err), err);
  const std::string file = read_file(model_path());
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(file.data(), file.size())));
  CHECK(res.meta.model_xxh3 == hash);
  CHECK(res.meta.model_bytes == file.size());
  CHECK(res.meta.version == "0.1.0");
  CHECK(!res.meta.commit.empty());
  CHECK(!res.meta.cpu_model.empty());
  CHECK(std::string(res.meta.ukernel).rfind("gemm_f32_ukernel_", 0) == 0);
  CHECK(res.meta.arch == "resnet18");
  CHECK(res.shape == std::array<int64_t, 4>{1, 3, 32, 32});
  CHECK(res.iters == 4);
  REQUIRE(res.runs.size() == 1);
  CHECK(res.runs[0].threads == 1);
  CHECK(res.runs[0].samples_ms.size() == 4);
  CHECK(res.runs[0].latency.n == 4);
  CHECK(res.runs[0].latency.mad >= 0);
  CHECK(res.runs[0].latency.stdev >= 0);
  CHECK(res.runs[0].layers.empty());  // no --profile
  CHECK(res.load.cold_ms > 0);
  CHECK(res.load.warm.n == 2);
  CHECK(res.load.cold_note.find("first open") != std::string::npos);
}

TEST_CASE("tvlite-bench: text, CSV one row per layer and thread count, shares sum to 100 %") {
  const Outputs& o = outputs();
  for (const char* s :
       {"XXH3-64", "commit", "GEMM micro-kernel", "cold", "MAD", "layer4.1.conv2"}) {
    CHECK_MESSAGE(o.text.find(s) != std::string::npos, s);
  }
  const std::string csv = read_file(o.csv);
  const int ops = graph_ops();
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < csv.size()) {
    const size_t nl = csv.find('\n', start);
    lines.push_back(csv.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  size_t header = 0;
  while (header < lines.size() && lines[header].rfind("# ", 0) == 0) ++header;
  REQUIRE(header < lines.size());
  CHECK(header >= 5);  // the metadata lines
  CHECK(csv.find("# model: ") != std::string::npos);
  CHECK(lines[header] ==
        "threads,index,layer,kind,input,output,macs,flops,median_ms,min_ms,max_ms,gflops,"
        "share_pct");
  double share[3] = {0, 0, 0};
  int rows[3] = {0, 0, 0};
  for (size_t i = header + 1; i < lines.size(); ++i) {
    std::vector<std::string> f;
    size_t p = 0;
    for (;;) {
      const size_t c = lines[i].find(',', p);
      f.push_back(lines[i].substr(p, c - p));
      if (c == std::string::npos) break;
      p = c + 1;
    }
    REQUIRE(f.size() == 13);
    const int t = std::stoi(f[0]);
    REQUIRE((t == 1 || t == 2));
    CHECK(std::stoi(f[1]) == rows[t]);
    ++rows[t];
    share[t] += std::stod(f[12]);
    CHECK(std::stod(f[8]) >= 0);
  }
  CHECK(rows[1] == ops);
  CHECK(rows[2] == ops);
  CHECK(std::fabs(share[1] - 100) < 0.05);
  CHECK(std::fabs(share[2] - 100) < 0.05);

  tvlite::bench::BenchResult res;
  std::string err;
  REQUIRE_MESSAGE(tvlite::bench::read_result_file(o.json, &res, &err), err);
  REQUIRE(res.runs.size() == 2);
  CHECK(res.runs[1].threads == 2);
  CHECK(res.runs[0].layers.size() == size_t(ops));
  CHECK(res.runs[1].layers.size() == size_t(ops));
}

TEST_CASE("tvlite-bench: the HTML report is self-contained and holds the charts") {
  const std::string html = read_file(outputs().html);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("layer3.0.downsample.0") != std::string::npos);
  CHECK(html.find("XXH3-64") != std::string::npos);
  for (const char* external :
       {"http:", "https:", "//", "src=", "href=", "<script", "url(", "@import"}) {
    CHECK_MESSAGE(html.find(external) == std::string::npos, external);
  }
}

TEST_CASE("tvlite-bench: --compare prints the change per figure; a bad baseline is a clean error") {
  const std::string base = outputs().json;
  CommandResult r = bench("--iters 2 --warmup 0 --loads 1 --shape 1x3x32x32 --profile --compare " +
                          shell_quote(base));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("compared with") != std::string::npos);
  CHECK(r.output.find("latency median (ms) (1T)") != std::string::npos);
  CHECK(r.output.find("layer1.0.conv1 median (ms) (1T)") != std::string::npos);
  CHECK(r.output.find(" %") != std::string::npos);
  // Under --json, stdout stays one JSON object and the comparison goes to stderr.
  r = run_command("(" + kBin + "/tvlite-bench " + shell_quote(model_path()) +
                  " --iters 1 --warmup 0 --loads 1 --shape 1x3x32x32 --json --compare " +
                  shell_quote(base) + " 2>/dev/null)");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  tvlite::bench::JsonValue v;
  std::string err;
  CHECK_MESSAGE(tvlite::bench::parse_json(r.output, &v, &err), err);

  const std::string good = read_file(base);
  const std::string bad = kDir + "/bad_baseline.json";
  struct Case {
    const char* what;
    std::string text;
    const char* message;
  };
  std::string no_runs = good;
  no_runs.replace(no_runs.find("\"runs\""), 6, "\"rums\"");
  std::string wrong_type = good;
  wrong_type.replace(wrong_type.find("\"threads\":1"), 11, "\"threads\":\"1\"");
  const Case cases[] = {
      {"empty", "", "line 1, column 1"},
      {"truncated", good.substr(0, good.size() / 2), "line 1"},
      {"not an object", "[1, 2, 3]", "not a JSON object"},
      {"another tool's JSON", "{\"load_ms\": 1}", "tvlite_bench_format"},
      {"a key missing", no_runs, "'runs' is missing"},
      {"a wrong type", wrong_type, "is not a number"},
      {"binary junk", std::string("\x00\xff\x13{", 4), "line 1"},
      {"deep nesting", std::string(100000, '['), "nested deeper"},
  };
  for (const Case& c : cases) {
    write_file(bad, c.text);
    r = bench("--iters 1 --compare " + shell_quote(bad));
    CHECK_MESSAGE(is_clean_error(r), c.what, ": ", r.output);
    CHECK_MESSAGE(r.output.find(c.message) != std::string::npos, c.what, ": ", r.output);
  }
  r = bench("--iters 1 --compare " + shell_quote(kDir + "/no_such.json"));
  CHECK(is_clean_error(r));
  CHECK(r.output.find("cannot open") != std::string::npos);  // checked before measuring
  CHECK(is_clean_error(bench("--iters 1 --compare " + shell_quote(kDir))));
}

TEST_CASE("tvlite-bench --report: two runs side by side in one HTML file") {
  const std::string a = outputs().json;
  const std::string b = kDir + "/run_b.json";
  CommandResult r = bench("--iters 2 --warmup 0 --loads 1 --shape 1x3x32x32 --profile --json-out " +
                          shell_quote(b));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const std::string out = kDir + "/cmp.html";
  r = run_command(kBin + "/tvlite-bench --report " + shell_quote(a) + " " + shell_quote(b) +
                  " -o " + shell_quote(out));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("compared with") != std::string::npos);
  const std::string html = read_file(out);
  CHECK(html.find("run.json") != std::string::npos);
  CHECK(html.find("run_b.json") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("change") != std::string::npos);
  CHECK(html.find("http") == std::string::npos);

  CHECK(is_clean_error(run_command(kBin + "/tvlite-bench --report " + shell_quote(a))));
  CHECK(is_clean_error(run_command(kBin + "/tvlite-bench --report -o " + shell_quote(out))));
  CHECK(is_clean_error(run_command(kBin + "/tvlite-bench --report " + shell_quote(a) + " " +
                                   shell_quote(kDir + "/none.json") + " -o " + shell_quote(out))));
  // -o naming one of the saved runs would overwrite it with HTML: refused, the run intact.
  const std::string before = read_file(b);
  r = run_command(kBin + "/tvlite-bench --report " + shell_quote(a) + " " + shell_quote(b) +
                  " -o " + shell_quote(b));
  CHECK(is_clean_error(r));
  CHECK(r.output.find("refusing to overwrite") != std::string::npos);
  CHECK(read_file(b) == before);
}

TEST_CASE("tvlite-bench --thread-sweep: one run per online CPU") {
  const CommandResult r =
      bench("--thread-sweep --iters 1 --warmup 0 --loads 1 --shape 1x3x32x32 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  tvlite::bench::BenchResult res;
  std::string err;
  REQUIRE_MESSAGE(tvlite::bench::result_from_json(r.output, &res, &err), err);
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  REQUIRE(res.runs.size() == size_t(std::min(cpus, 256L)));
  // A build without threads (TVLITE_THREADS=OFF) runs every session on 1 and says so.
  for (size_t i = 0; i < res.runs.size(); ++i) {
    CHECK((res.runs[i].threads == int(i) + 1 || res.runs[i].threads == 1));
  }
  CHECK(res.meta.cpu_count == int(cpus));
}

TEST_CASE(
    "tvlite-bench: a TVLITE_GEMM_UKERNEL this CPU does not run is said, not silently dropped") {
  const std::string args =
      " " + shell_quote(model_path()) + " --iters 1 --warmup 0 --loads 1 --shape 1x3x32x32";
  const CommandResult unknown = run_command("TVLITE_GEMM_UKERNEL=gemm_f32_ukernel_9x9__nope " +
                                            kBin + "/tvlite-bench" + args);
  REQUIRE_MESSAGE(unknown.exit_code == 0, unknown.output);
  CHECK_MESSAGE(
      unknown.output.find("warning: TVLITE_GEMM_UKERNEL=gemm_f32_ukernel_9x9__nope is not") !=
          std::string::npos,
      unknown.output);
  // The portable tile runs everywhere: picked, with no warning, and named in the header.
  const CommandResult portable = run_command("TVLITE_GEMM_UKERNEL=gemm_f32_ukernel_6x8__portable " +
                                             kBin + "/tvlite-bench" + args);
  REQUIRE_MESSAGE(portable.exit_code == 0, portable.output);
  CHECK_MESSAGE(portable.output.find("warning") == std::string::npos, portable.output);
  CHECK_MESSAGE(
      portable.output.find("GEMM micro-kernel gemm_f32_ukernel_6x8__portable") != std::string::npos,
      portable.output);
}

TEST_CASE("tvlite-bench: bad options are clean errors") {
  for (const char* args : {"--threads 0", "--threads 1,,2", "--threads 1,x", "--threads 300",
                           "--iters 0", "--warmup -1", "--shape 1x3x32", "--shape 1x4x32x32",
                           "--loads", "-o x.html", "--frobnicate"}) {
    CHECK_MESSAGE(is_clean_error(bench(args)), args);
  }
  CHECK(is_clean_error(run_command(kBin + "/tvlite-bench")));
  CHECK(is_clean_error(run_command(kBin + "/tvlite-bench " + shell_quote(kDir + "/none.tvl"))));
  CHECK(run_command(kBin + "/tvlite-bench --help").exit_code == 0);
}

TEST_CASE("json: the reader survives truncation and byte flips of a real result") {
  const std::string good = read_file(outputs().json);
  REQUIRE(!good.empty());
  tvlite::bench::BenchResult res;
  std::string err;
  REQUIRE_MESSAGE(tvlite::bench::result_from_json(good, &res, &err), err);
  // Written and read back: the same JSON.
  CHECK(tvlite::bench::result_to_json(res) == good);
  for (size_t n = 0; n + 1 < good.size(); n += 37) {  // all but the final newline
    CHECK_FALSE(tvlite::bench::result_from_json(good.substr(0, n), &res, &err));
    CHECK(!err.empty());
  }
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::string s = good;
    for (int k = 0; k < 3; ++k) s[rng() % s.size()] = char(rng() & 0xff);
    if (tvlite::bench::result_from_json(s, &res, &err)) CHECK(!res.runs.empty());
  }
}

TEST_CASE("json: strings round-trip through the writer's escapes") {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all.push_back(char(c));
  tvlite::bench::JsonValue v;
  std::string err;
  REQUIRE_MESSAGE(tvlite::bench::parse_json(tvlite::bench::json_quote(all), &v, &err), err);
  CHECK(v.string == all);
  // Bytes above 0x7f are written as \u00XX: the output stays ASCII and valid JSON.
  const std::string q = tvlite::bench::json_quote("caf\xe9\xff");
  for (char c : q) CHECK(static_cast<unsigned char>(c) < 0x80);
  CHECK(tvlite::bench::parse_json(q, &v, &err));
  REQUIRE(tvlite::bench::parse_json("\"\\ud83d\\ude00 \\u00e9\"", &v, &err));
  CHECK(v.string == "\xf0\x9f\x98\x80 \xc3\xa9");
  for (const char* bad : {"\"\\ud83d\\u0041\"", "\"\\x\"", "01", "1.", "-", "1e", "tru",
                          "{\"a\" 1}", "[1,]", "{\"a\":1,}", "\"a\nb\"", "1 2", "1e999"}) {
    CHECK_MESSAGE(!tvlite::bench::parse_json(bad, &v, &err), bad);
  }
}
