// tvlite-run and tvlite-inspect as a user runs them: good input works, every bad input gets a
// non-zero exit and an "error:" line, never a crash.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <fstream>

#include "common/process.h"
#include "runtime/tvl_builder.h"
#include "tools/tool_fixture.h"
#include "tvlite/io/npy.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBIW_ASSERT(x)
#include <stb/stb_image_write.h>

using tvlite::test::CommandResult;
using tvlite::test::run_command;
using tvlite::test::shell_quote;

namespace {

// Every file of this suite goes to a folder of this process (tool_fixture.h says why).
const tvlite::test::OutDir kOut("tools");
const std::string& kDir = kOut.path;
const std::string& kBin = tvlite::test::tool_bin();

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  tvlite::test::write_bytes(path, bytes.data(), bytes.size());
}

// A resnet18 with 10 classes and seeded weights, plus inputs; made once per run.
const std::string& model_path() {
  static const std::string path = tvlite::test::write_resnet18(kDir, 3);
  return path;
}

CommandResult run(const std::string& args) {
  model_path();  // also makes kDir
  return run_command(kBin + "/" + args);
}

bool is_clean_error(const CommandResult& r) {
  return r.exit_code == 1 && r.output.rfind("error: ", 0) == 0;
}

std::string write_npy(const std::string& name, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 13) * 0.1f - 0.6f;
  model_path();  // also makes kDir
  const std::string path = kDir + "/" + name;
  std::string err;
  REQUIRE_MESSAGE(tvlite::io::write_npy_f32(path, shape, v.data(), &err), err);
  return path;
}

}  // namespace

TEST_CASE("tvlite-run: .npy in, logits .npy out") {
  const std::string in = write_npy("in.npy", {2, 3, 41, 37});
  const std::string out = kDir + "/out.npy";
  const CommandResult r = run("tvlite-run " + shell_quote(model_path()) + " --input " +
                              shell_quote(in) + " --output " + shell_quote(out) + " --threads 2");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  tvlite::io::NpyArray logits;
  std::string err;
  REQUIRE(tvlite::io::read_npy_f32(out, &logits, &err));
  CHECK(logits.shape == std::vector<int64_t>{2, 10});
  for (float v : logits.data) CHECK(std::isfinite(v));
}

TEST_CASE("tvlite-run: images through the preprocessing, top-k printed") {
  model_path();  // also makes kDir
  std::vector<uint8_t> rgb(300 * 200 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = uint8_t((i * 7) % 251);
  const std::string png = kDir + "/img.png";
  REQUIRE(stbi_write_png(png.c_str(), 300, 200, 3, rgb.data(), 300 * 3) != 0);
  const std::string out = kDir + "/img_logits.npy";
  const CommandResult r = run("tvlite-run " + shell_quote(model_path()) + " " + shell_quote(png) +
                              " " + shell_quote(png) + " --topk 3 --output " + shell_quote(out));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find(" 1. class") != std::string::npos);
  CHECK(r.output.find(" 3. class") != std::string::npos);
  CHECK(r.output.find(" 4. class") == std::string::npos);
  tvlite::io::NpyArray logits;
  std::string err;
  REQUIRE(tvlite::io::read_npy_f32(out, &logits, &err));
  CHECK(logits.shape == std::vector<int64_t>{2, 10});
}

TEST_CASE("tvlite-run: every bad input is a clean error") {
  const std::string m = shell_quote(model_path());
  const std::string out = shell_quote(kDir + "/bad_out.npy");
  SUBCASE("wrong channel count") {
    const CommandResult r = run("tvlite-run " + m + " --input " +
                                shell_quote(write_npy("c4.npy", {1, 4, 32, 32})) + " --output " + out);
    CHECK(is_clean_error(r));
    CHECK(r.output.find("N x 3 x H x W") != std::string::npos);
  }
  SUBCASE("an output that is the model, the input, a FIFO or a symlink: refused, left alone") {
    const std::string in = write_npy("same.npy", {1, 3, 32, 32});
    const std::string copy = kDir + "/r18_copy.tvl";
    run_command("cp " + m + " " + shell_quote(copy));
    CommandResult r = run("tvlite-run " + shell_quote(copy) + " --input " + shell_quote(in) +
                          " --output " + shell_quote(copy));
    CHECK(is_clean_error(r));
    CHECK(r.output.find("refusing to overwrite") != std::string::npos);
    CHECK(run("tvlite-inspect " + shell_quote(copy)).exit_code == 0);  // still the model
    r = run("tvlite-run " + m + " --input " + shell_quote(in) + " --output " + shell_quote(in));
    CHECK(is_clean_error(r));
    const std::string fifo = kDir + "/out.fifo";
    run_command("rm -f " + shell_quote(fifo) + " && mkfifo " + shell_quote(fifo));
    r = run("tvlite-run " + m + " --input " + shell_quote(in) + " --output " + shell_quote(fifo));
    CHECK(is_clean_error(r));
    CHECK(r.output.find("not a regular file") != std::string::npos);
    r = run("tvlite-run " + m + " --input " + shell_quote(fifo) + " --output " + out);
    CHECK(is_clean_error(r));  // at once: a FIFO input is never opened
    const std::string link = kDir + "/out_link.npy";
    run_command("rm -f " + shell_quote(link) + " && ln -s " + shell_quote(in) + " " +
                shell_quote(link));
    r = run("tvlite-run " + m + " --input " + shell_quote(in) + " --output " + shell_quote(link));
    CHECK(is_clean_error(r));
    CHECK(r.output.find("symbolic link") != std::string::npos);
    run_command("rm -f " + shell_quote(fifo) + " " + shell_quote(link) + " " + shell_quote(copy));
  }
  SUBCASE("wrong rank") {
    CHECK(is_clean_error(run("tvlite-run " + m + " --input " +
                             shell_quote(write_npy("r2.npy", {3, 32})) + " --output " + out)));
  }
  SUBCASE("an empty batch") {
    const CommandResult r = run("tvlite-run " + m + " --input " +
                                shell_quote(write_npy("empty.npy", {0, 3, 8, 8})) + " --output " + out);
    CHECK(is_clean_error(r));
  }
  SUBCASE("float64 .npy") {
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 2, 2), }";
    header.resize(117, ' ');
    header += '\n';
    const std::string file = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + header +
                             std::string(12 * 8, '\0');
    write_file(kDir + "/f64.npy", std::vector<uint8_t>(file.begin(), file.end()));
    const CommandResult r = run("tvlite-run " + m + " --input " + shell_quote(kDir + "/f64.npy") +
                                " --output " + out);
    CHECK(is_clean_error(r));
    CHECK(r.output.find("<f8") != std::string::npos);
  }
  SUBCASE("an unreadable image") {
    write_file(kDir + "/not_an_image.jpg", {'h', 'e', 'l', 'l', 'o'});
    CHECK(is_clean_error(run("tvlite-run " + m + " " + shell_quote(kDir + "/not_an_image.jpg"))));
    CHECK(is_clean_error(run("tvlite-run " + m + " " + shell_quote(kDir + "/missing.png"))));
  }
  SUBCASE("a malformed model") {
    write_file(kDir + "/junk.tvl", std::vector<uint8_t>(4096, 0xab));
    CHECK(is_clean_error(run("tvlite-run " + shell_quote(kDir + "/junk.tvl") + " --input " +
                             shell_quote(write_npy("ok.npy", {1, 3, 32, 32})) + " --output " + out)));
    CHECK(is_clean_error(run("tvlite-run " + shell_quote(kDir) + " x.png")));
    CHECK(is_clean_error(run("tvlite-run " + shell_quote(kDir + "/none.tvl") + " x.png")));
  }
  SUBCASE("bad options") {
    CHECK(run("tvlite-run").exit_code != 0);
    CHECK(is_clean_error(run("tvlite-run " + m + " x.png --threads 0")));
    CHECK(is_clean_error(run("tvlite-run " + m + " x.png --topk")));
    CHECK(is_clean_error(run("tvlite-run " + m + " --input x.npy")));
  }
}

TEST_CASE("tvlite-inspect: text, json, verify, and malformed files") {
  const std::string m = shell_quote(model_path());
  CommandResult r = run("tvlite-inspect " + m);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("resnet18") != std::string::npos);
  CHECK(r.output.find("layer4.1.bn2.running_var") != std::string::npos);
  r = run("tvlite-inspect --json --verify " + m);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.rfind("{", 0) == 0);
  CHECK(r.output.find("\"checksums_verified\":true") != std::string::npos);

  std::ifstream in(model_path(), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes[bytes.size() - 100] ^= 0x01;  // a weight byte of fc
  write_file(kDir + "/flipped.tvl", bytes);
  CHECK(run("tvlite-inspect " + shell_quote(kDir + "/flipped.tvl")).exit_code == 0);
  r = run("tvlite-inspect --verify " + shell_quote(kDir + "/flipped.tvl"));
  CHECK(is_clean_error(r));
  CHECK(r.output.find("checksum") != std::string::npos);
  bytes.resize(bytes.size() / 3);
  write_file(kDir + "/truncated.tvl", bytes);
  CHECK(is_clean_error(run("tvlite-inspect " + shell_quote(kDir + "/truncated.tvl"))));
  write_file(kDir + "/empty.tvl", {});
  r = run("tvlite-inspect " + shell_quote(kDir + "/empty.tvl"));
  CHECK(is_clean_error(r));
  CHECK(r.output.find("empty") != std::string::npos);
}

TEST_CASE("tvlite-bench: JSON with the figures, clean errors on bad input") {
  const std::string m = shell_quote(model_path());
  CommandResult r = run("tvlite-bench " + m + " --iters 2 --warmup 1 --shape 1x3x32x32 --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  for (const char* key : {"\"load_ms\":", "\"latency_ms\":{\"min\":", "\"median\":", "\"p90\":",
                          "\"max\":", "\"peak_rss_kb\":", "\"arena_bytes\":"}) {
    CHECK_MESSAGE(r.output.find(key) != std::string::npos, key);
  }
  CHECK(is_clean_error(run("tvlite-bench " + m + " --shape 1x3x32")));
  CHECK(is_clean_error(run("tvlite-bench " + m + " --shape 1x4x32x32")));
  CHECK(is_clean_error(run("tvlite-bench " + m + " --iters 0")));
  CHECK(is_clean_error(run("tvlite-bench " + shell_quote(kDir + "/none.tvl"))));
}
