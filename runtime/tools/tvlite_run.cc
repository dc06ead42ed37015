// tvlite-run MODEL.tvl --input IN.npy --output OUT.npy [--threads N]
// tvlite-run MODEL.tvl IMAGE... [--topk K] [--output OUT.npy] [--threads N]
// tvlite-run MODEL.tvl --selftest [--threads N]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "tvlite/io/image.h"
#include "tvlite/io/npy.h"
#include "tvlite/io/preprocess.h"
#include "file_checks.h"
#include "tvlite/model.h"
#include "tvlite/selftest.h"
#include "tvlite/session.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tvlite-run MODEL.tvl --input IN.npy --output OUT.npy [--threads N]\n"
               "       tvlite-run MODEL.tvl IMAGE... [--topk K] [--output OUT.npy] [--threads N]\n"
               "       tvlite-run MODEL.tvl --selftest [--threads N]\n"
               "IN.npy: float32 N x 3 x H x W; OUT.npy: float32 N x num_classes logits.\n"
               "Images (JPEG, PNG) are preprocessed as torchvision's ImageNet transforms, with\n"
               "the resize, crop, mean and std stored in the model.\n"
               "--selftest recomputes the logits the exporter stored (PyTorch's, for one seeded\n"
               "input), prints the largest difference and PASS or FAIL; exit status 0 on PASS.\n");
  return 1;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

bool parse_int(const char* s, int lo, int hi, int* out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = int(v);
  return true;
}

void print_topk(const std::string& what, const float* logits, int64_t classes, int k,
                const std::pmr::vector<std::string_view>& labels) {
  std::vector<int64_t> idx(static_cast<size_t>(classes));
  std::iota(idx.begin(), idx.end(), 0);
  k = int(std::min<int64_t>(k, classes));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  const float top = logits[idx[0]];
  double sum = 0;
  for (int64_t i = 0; i < classes; ++i) sum += std::exp(double(logits[i]) - top);
  std::printf("%s\n", what.c_str());
  for (int r = 0; r < k; ++r) {
    const int64_t c = idx[size_t(r)];
    const double p = std::exp(double(logits[c]) - top) / sum;
    const std::string_view label = size_t(c) < labels.size() ? labels[size_t(c)] : "";
    std::printf("  %2d. class %-5lld  p=%.4f  logit=%9.4f  %.*s\n", r + 1, (long long)c, p,
                double(logits[c]), int(label.size()), label.data());
  }
}

// One line, "PASS" or "FAIL" last; 0 only on a pass.
int selftest(const std::shared_ptr<const tvlite::Model>& model, const std::string& path,
             int threads) {
  const auto report = tvlite::run_selftest(model, threads);
  if (!report) return fail(path + ": " + report.status().to_string());
  const tvlite::SelfTestReport& r = *report;
  std::printf("%s: self-test %s, %lldx%lldx%lldx%lld input, %lld logits, %d thread%s: "
              "max|diff| %.3g, tolerance %.3g (max|logit| %.3g), argmax %s: %s\n",
              path.c_str(), model->arch().name.c_str(), (long long)r.shape.n,
              (long long)r.shape.c, (long long)r.shape.h, (long long)r.shape.w,
              (long long)r.classes, r.threads, r.threads == 1 ? "" : "s", r.max_diff, r.tolerance,
              r.max_abs_logit, r.argmax_equal ? "same" : "DIFFERENT", r.passed ? "PASS" : "FAIL");
  return r.passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, input_path, output_path;
  std::vector<std::string> images;
  int threads = 1, topk = 5;
  bool want_selftest = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (a == "--selftest") {
      want_selftest = true;
    } else if (a == "--input" || a == "--output" || a == "--threads" || a == "--topk") {
      if (!has_value) return fail("option " + a + " needs a value");
      const char* v = argv[++i];
      if (a == "--input") {
        input_path = v;
      } else if (a == "--output") {
        output_path = v;
      } else if (a == "--threads") {
        if (!parse_int(v, 1, 256, &threads)) return fail("--threads takes 1..256, got '" + std::string(v) + "'");
      } else if (!parse_int(v, 1, 1 << 24, &topk)) {
        return fail("--topk takes a positive integer, got '" + std::string(v) + "'");
      }
    } else if (!a.empty() && a[0] == '-') {
      fail("unknown option '" + a + "'");
      return usage();
    } else if (model_path.empty()) {
      model_path = a;
    } else {
      images.push_back(a);
    }
  }
  if (model_path.empty()) {
    fail("no model file given");
    return usage();
  }
  if (want_selftest) {
    if (!input_path.empty() || !images.empty() || !output_path.empty()) {
      return fail("--selftest takes no input or output (the model holds them)");
    }
    auto model = tvlite::Model::open(model_path);
    if (!model) return fail(model_path + ": " + model.status().to_string());
    return selftest(*model, model_path, threads);
  }
  if (input_path.empty() == images.empty()) {
    fail(images.empty() ? "give --input IN.npy or one or more images"
                        : "give either --input IN.npy or images, not both");
    return usage();
  }
  if (!input_path.empty() && output_path.empty()) return fail("--input needs --output OUT.npy");
  // Before anything is opened: inputs that are not regular files (a FIFO would block), outputs
  // that rename() must not replace, and an output that is one of the inputs.
  std::vector<std::string> inputs = images;
  if (!input_path.empty()) inputs.push_back(input_path);
  for (const std::string& in : inputs) {
    const std::string problem = tvlite::tools::input_problem(in);
    if (!problem.empty()) return fail(problem);
  }
  if (!output_path.empty()) {
    const std::string problem = tvlite::tools::output_problem(output_path);
    if (!problem.empty()) return fail(problem);
    inputs.push_back(model_path);
    for (const std::string& in : inputs) {
      if (tvlite::tools::same_file(in, output_path)) {
        return fail("--output " + output_path + " is the input file " + in +
                    "; refusing to overwrite it");
      }
    }
  }

  auto model = tvlite::Model::open(model_path);
  if (!model) return fail(model_path + ": " + model.status().to_string());
  const tvlite::InputInfo& info = (*model)->input();

  tvlite::Shape4 shape;
  std::vector<float> input;
  if (!input_path.empty()) {
    tvlite::io::NpyArray array;
    std::string err;
    if (!tvlite::io::read_npy_f32(input_path, &array, &err)) return fail(err);  // names the file
    if (array.shape.size() != 4 || array.shape[1] != info.channels) {
      std::string dims;
      for (size_t d = 0; d < array.shape.size(); ++d) dims += (d ? " x " : "") + std::to_string(array.shape[d]);
      return fail(input_path + ": expected a float32 N x " + std::to_string(info.channels) +
                  " x H x W array, got shape (" + dims + ")");
    }
    shape = {array.shape[0], array.shape[1], array.shape[2], array.shape[3]};
    if (shape.n == 0 || shape.h == 0 || shape.w == 0) return fail(input_path + ": empty input");
    input = std::move(array.data);
  } else {
    tvlite::io::Preprocess pre;
    pre.resize = info.resize;
    pre.crop_h = info.height;
    pre.crop_w = info.width;
    for (int c = 0; c < 3; ++c) {
      pre.mean[c] = info.mean[size_t(c)];
      pre.std[c] = info.std[size_t(c)];
    }
    shape = {int64_t(images.size()), 3, info.height, info.width};
    const size_t per_image = size_t(3) * size_t(info.height) * size_t(info.width);
    input.resize(per_image * images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      tvlite::io::Image image;
      std::string err;
      if (!tvlite::io::load_image_rgb8(images[i], &image, &err)) return fail(err);  // names it
      if (!tvlite::io::preprocess_imagenet(image, pre, input.data() + i * per_image, &err)) {
        return fail(images[i] + ": " + err);
      }
    }
  }

  tvlite::SessionOptions options;
  options.threads = threads;
  auto session = tvlite::Session::create(*model, options);
  if (!session) return fail(session.status().to_string());
  const int64_t classes = (*session)->num_classes();
  std::vector<float> output(size_t(shape.n * classes));
  const tvlite::Status st = (*session)->run(shape, input.data(), output.data());
  if (!st) return fail(st.to_string());

  if (!output_path.empty()) {
    std::string err;
    if (!tvlite::io::write_npy_f32(output_path, {shape.n, classes}, output.data(), &err)) {
      return fail(output_path + ": " + err);
    }
  }
  if (!images.empty()) {
    for (size_t i = 0; i < images.size(); ++i) {
      print_topk(images[i], output.data() + i * size_t(classes), classes, topk, info.labels);
    }
  } else {
    std::fprintf(stderr, "%s: %lld x %lld logits from %lld x %lld x %lld x %lld input\n",
                 output_path.c_str(), (long long)shape.n, (long long)classes, (long long)shape.n,
                 (long long)shape.c, (long long)shape.h, (long long)shape.w);
  }
  return 0;
}
