// The kernels against PyTorch-generated ONNX test cases from Debian's libonnx-testdata, an
// oracle nobody here wrote. Each case's graph is evaluated node by node with the reference and
// then with the fast kernels (serial and threaded); attributes come from model.onnx.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/onnx_reader.h"
#include "kernel_test_util.h"
#include "tvlite/kernels/batch_norm.h"
#include "tvlite/kernels/conv2d.h"
#include "tvlite/kernels/elementwise.h"
#include "tvlite/kernels/linear.h"
#include "tvlite/kernels/pool2d.h"

namespace {

namespace fs = std::filesystem;
namespace k = tvlite::kernels;
using tvlite::test::onnx::Graph;
using tvlite::test::onnx::Node;
using tvlite::test::onnx::Tensor;

enum class Impl { kReference, kFast, kFastThreaded };

struct Value {
  std::vector<int64_t> dims;
  std::vector<float> data;
};

// Evaluates a graph, or returns false with *why set when it uses what the kernels do not cover.
class Evaluator {
 public:
  Evaluator(Impl impl, std::map<std::string, Value> values)
      : impl_(impl), values_(std::move(values)), pool_(3) {}

  bool run(const Graph& g, std::string* why) {
    for (const Node& n : g.nodes) {
      if (!eval(n, why)) {
        *why = n.op_type + ": " + *why;
        return false;
      }
    }
    return true;
  }
  const Value* value(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  k::Parallel* parallel() { return impl_ == Impl::kFastThreaded ? &pool_ : nullptr; }
  bool fast() const { return impl_ != Impl::kReference; }

  const Value* in(const Node& n, size_t i) const {
    return i < n.inputs.size() && !n.inputs[i].empty() ? value(n.inputs[i]) : nullptr;
  }
  static bool unsupported(std::string* why, const std::string& what) {
    *why = what;
    return false;
  }
  // Symmetric 2-D pads [top, left, bottom, right] -> (pad_h, pad_w).
  static bool symmetric_pads(const Node& n, int* ph, int* pw, std::string* why) {
    const std::vector<int64_t> pads = n.ints_attr("pads");
    *ph = *pw = 0;
    if (pads.empty()) return true;
    if (pads.size() != 4 || pads[0] != pads[2] || pads[1] != pads[3]) {
      return unsupported(why, "asymmetric padding");
    }
    *ph = int(pads[0]);
    *pw = int(pads[1]);
    return true;
  }
  static bool plain_auto_pad(const Node& n, std::string* why) {
    const auto* a = n.attribute("auto_pad");
    if (a != nullptr && !a->s.empty() && a->s != "NOTSET" && a->s != "VALID") {
      return unsupported(why, "auto_pad " + a->s);
    }
    return true;
  }
  static int attr_at(const std::vector<int64_t>& v, size_t i, int fallback) {
    return i < v.size() ? int(v[i]) : fallback;
  }

  bool eval(const Node& n, std::string* why) {
    const std::string& op = n.op_type;
    if (n.outputs.size() != 1) return unsupported(why, "more than one output");
    const Value* x = in(n, 0);
    if (x == nullptr) return unsupported(why, "missing input " + n.inputs[0]);
    Value out;
    if (op == "Conv") {
      if (!conv(n, *x, &out, why)) return false;
    } else if (op == "MaxPool") {
      if (!max_pool(n, *x, &out, why)) return false;
    } else if (op == "BatchNormalization") {
      if (!batch_norm(n, *x, &out, why)) return false;
    } else if (op == "GlobalAveragePool") {
      if (x->dims.size() != 4) return unsupported(why, "not 4-D");
      const int64_t nc = x->dims[0] * x->dims[1];
      out.dims = {x->dims[0], x->dims[1], 1, 1};
      out.data.resize(nc);
      const int h = int(x->dims[2]), w = int(x->dims[3]);
      if (fast()) {
        k::adaptive_avg_pool2d_f32(nc, h, w, 1, 1, x->data.data(), out.data.data());
      } else {
        k::adaptive_avg_pool2d_f32_ref(nc, h, w, 1, 1, x->data.data(), out.data.data());
      }
    } else if (op == "Relu") {
      out = *x;
      k::relu_f32(int64_t(out.data.size()), x->data.data(), out.data.data());
    } else if (op == "Add") {
      const Value* y = in(n, 1);
      if (y == nullptr) return unsupported(why, "missing input");
      if (!add(*x, *y, &out, why)) return false;
    } else if (op == "Transpose") {
      // Only the 2-D transpose that older exporters put in front of a Linear's MatMul.
      const auto perm = n.ints_attr("perm");
      if (x->dims.size() != 2 || !(perm.empty() || perm == std::vector<int64_t>{1, 0})) {
        return unsupported(why, "not a 2-D transpose");
      }
      const int64_t r = x->dims[0], c = x->dims[1];
      out.dims = {c, r};
      out.data.resize(x->data.size());
      for (int64_t i = 0; i < r; ++i) {
        for (int64_t j = 0; j < c; ++j) out.data[j * r + i] = x->data[i * c + j];
      }
    } else if (op == "Gemm" || op == "MatMul") {
      if (!linear(n, *x, &out, why)) return false;
    } else {
      return unsupported(why, "op not covered");
    }
    values_[n.outputs[0]] = std::move(out);
    return true;
  }

  bool conv(const Node& n, const Value& x, Value* out, std::string* why) {
    const Value* w = in(n, 1);
    const Value* b = in(n, 2);
    if (w == nullptr || x.dims.size() != 4 || w->dims.size() != 4) {
      return unsupported(why, "not a 2-D conv");
    }
    if (!plain_auto_pad(n, why)) return false;
    k::Conv2dParams p;
    p.groups = int(n.int_attr("group", 1));
    p.in_channels = int(x.dims[1]);
    p.out_channels = int(w->dims[0]);
    p.kernel_h = int(w->dims[2]);
    p.kernel_w = int(w->dims[3]);
    const auto strides = n.ints_attr("strides"), dil = n.ints_attr("dilations");
    p.stride_h = attr_at(strides, 0, 1);
    p.stride_w = attr_at(strides, 1, 1);
    p.dilation_h = attr_at(dil, 0, 1);
    p.dilation_w = attr_at(dil, 1, 1);
    if (!symmetric_pads(n, &p.pad_h, &p.pad_w, why)) return false;
    const auto ks = n.ints_attr("kernel_shape");
    if (!ks.empty() && (ks[0] != p.kernel_h || ks[1] != p.kernel_w)) {
      return unsupported(why, "kernel_shape disagrees with the weight");
    }
    const int h = int(x.dims[2]), wd = int(x.dims[3]);
    const int oh = k::conv2d_output_size(h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
    const int ow = k::conv2d_output_size(wd, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
    out->dims = {x.dims[0], p.out_channels, oh, ow};
    out->data.assign(size_t(x.dims[0]) * p.out_channels * oh * ow, 0.0f);
    tvlite::test::AlignedBuffer scratch(
        k::conv2d_f32_scratch_bytes(p, h, wd, k::parallel_threads(parallel())));
    for (int64_t i = 0; i < x.dims[0]; ++i) {
      const float* xi = x.data.data() + i * p.in_channels * h * wd;
      float* oi = out->data.data() + i * p.out_channels * oh * ow;
      const float* bias = b ? b->data.data() : nullptr;
      if (fast()) {
        k::conv2d_f32(p, h, wd, xi, w->data.data(), bias, oi, scratch.ptr, parallel());
      } else {
        k::conv2d_f32_ref(p, h, wd, xi, w->data.data(), bias, oi);
      }
    }
    return true;
  }

  bool max_pool(const Node& n, const Value& x, Value* out, std::string* why) {
    if (x.dims.size() != 4) return unsupported(why, "not 2-D pooling");
    if (!plain_auto_pad(n, why)) return false;
    if (n.int_attr("storage_order", 0) != 0) return unsupported(why, "storage_order");
    k::MaxPool2dParams p;
    const auto ks = n.ints_attr("kernel_shape"), strides = n.ints_attr("strides"),
               dil = n.ints_attr("dilations");
    p.kernel_h = attr_at(ks, 0, 1);
    p.kernel_w = attr_at(ks, 1, 1);
    p.stride_h = attr_at(strides, 0, 1);
    p.stride_w = attr_at(strides, 1, 1);
    p.dilation_h = attr_at(dil, 0, 1);
    p.dilation_w = attr_at(dil, 1, 1);
    p.ceil_mode = n.int_attr("ceil_mode", 0) != 0;
    if (!symmetric_pads(n, &p.pad_h, &p.pad_w, why)) return false;
    const int h = int(x.dims[2]), w = int(x.dims[3]);
    const int oh = k::max_pool2d_output_size(h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h,
                                             p.ceil_mode);
    const int ow = k::max_pool2d_output_size(w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w,
                                             p.ceil_mode);
    const int64_t nc = x.dims[0] * x.dims[1];
    out->dims = {x.dims[0], x.dims[1], oh, ow};
    out->data.resize(size_t(nc) * oh * ow);
    if (fast()) {
      k::max_pool2d_f32(p, nc, h, w, x.data.data(), out->data.data());
    } else {
      k::max_pool2d_f32_ref(p, nc, h, w, x.data.data(), out->data.data());
    }
    return true;
  }

  bool batch_norm(const Node& n, const Value& x, Value* out, std::string* why) {
    if (n.int_attr("training_mode", 0) != 0) return unsupported(why, "training mode");
    const Value *s = in(n, 1), *b = in(n, 2), *mean = in(n, 3), *var = in(n, 4);
    if (!s || !b || !mean || !var || x.dims.size() < 2) return unsupported(why, "inputs");
    const int64_t c = x.dims[1];
    int64_t spatial = 1;
    for (size_t d = 2; d < x.dims.size(); ++d) spatial *= x.dims[d];
    std::vector<float> scale(c), shift(c);
    k::batch_norm_fold_f32(c, s->data.data(), b->data.data(), mean->data.data(),
                           var->data.data(), n.float_attr("epsilon", 1e-5f), scale.data(),
                           shift.data());
    *out = x;
    for (int64_t i = 0; i < x.dims[0]; ++i) {
      const float* xi = x.data.data() + i * c * spatial;
      float* oi = out->data.data() + i * c * spatial;
      if (fast()) {
        k::batch_norm_f32(c, spatial, xi, scale.data(), shift.data(), false, oi);
      } else {
        k::batch_norm_f32_ref(c, spatial, xi, scale.data(), shift.data(), false, oi);
      }
    }
    return true;
  }

  // Same shapes, or y broadcast along the last dimension (a bias after MatMul).
  static bool add(const Value& x, const Value& y, Value* out, std::string* why) {
    *out = x;
    if (x.dims == y.dims) {
      k::add_f32(int64_t(x.data.size()), x.data.data(), y.data.data(), false, out->data.data());
      return true;
    }
    if (y.dims.size() == 1 && !x.dims.empty() && y.dims[0] == x.dims.back()) {
      const int64_t inner = y.dims[0];
      for (size_t r = 0; r < x.data.size() / size_t(inner); ++r) {
        k::add_f32(inner, x.data.data() + r * inner, y.data.data(), false,
                   out->data.data() + r * inner);
      }
      return true;
    }
    return unsupported(why, "broadcast");
  }

  // Gemm(X, W^T, b) as Linear exports it, or MatMul(X, W) (weight [in, out], transposed here).
  bool linear(const Node& n, const Value& x, Value* out, std::string* why) {
    const Value* w = in(n, 1);
    if (w == nullptr || x.dims.size() != 2 || w->dims.size() != 2) {
      return unsupported(why, "not a 2-D product");
    }
    bool trans_b = false;
    const Value* bias = nullptr;
    if (n.op_type == "Gemm") {
      if (n.int_attr("transA", 0) != 0 || n.float_attr("alpha", 1.0f) != 1.0f ||
          n.float_attr("beta", 1.0f) != 1.0f) {
        return unsupported(why, "transA/alpha/beta");
      }
      trans_b = n.int_attr("transB", 0) != 0;
      bias = in(n, 2);
    }
    const int64_t batch = x.dims[0], in_f = x.dims[1];
    const int64_t out_f = trans_b ? w->dims[0] : w->dims[1];
    if ((trans_b ? w->dims[1] : w->dims[0]) != in_f) return unsupported(why, "shapes");
    if (bias != nullptr && int64_t(bias->data.size()) != out_f) {
      return unsupported(why, "bias not [out_features]");
    }
    std::vector<float> weight(w->data);  // PyTorch layout [out, in]
    if (!trans_b) {
      for (int64_t o = 0; o < out_f; ++o) {
        for (int64_t i = 0; i < in_f; ++i) weight[o * in_f + i] = w->data[i * out_f + o];
      }
    }
    out->dims = {batch, out_f};
    out->data.resize(size_t(batch * out_f));
    const float* b = bias ? bias->data.data() : nullptr;
    if (fast()) {
      k::linear_f32(batch, in_f, out_f, x.data.data(), weight.data(), b, out->data.data(),
                    parallel());
    } else {
      k::linear_f32_ref(batch, in_f, out_f, x.data.data(), weight.data(), b, out->data.data());
    }
    return true;
  }

  Impl impl_;
  std::map<std::string, Value> values_;
  tvlite::test::ThreadParallel pool_;
};

Value to_value(const Tensor& t) { return Value{t.dims, t.floats}; }

// Runs one case directory; returns false (with *why) when it was skipped.
bool run_case(const fs::path& dir, std::string* why) {
  Graph g;
  std::string error;
  REQUIRE_MESSAGE(tvlite::test::onnx::load_model((dir / "model.onnx").string(), &g, &error),
                  error);
  std::map<std::string, Value> values;
  for (const Tensor& t : g.initializers) {
    if (t.data_type != tvlite::test::onnx::kFloat) {
      *why = "non-float initializer " + t.name;
      return false;
    }
    values[t.name] = to_value(t);
  }
  int next_input = 0;
  for (const std::string& name : g.inputs) {
    if (values.count(name)) continue;  // older IR lists initializers among the inputs
    Tensor t;
    const fs::path file = dir / "test_data_set_0" / ("input_" + std::to_string(next_input++) + ".pb");
    REQUIRE_MESSAGE(tvlite::test::onnx::load_tensor(file.string(), &t, &error), error);
    if (t.data_type != tvlite::test::onnx::kFloat) {
      *why = "non-float input";
      return false;
    }
    values[name] = to_value(t);
  }
  Tensor expected;
  REQUIRE_MESSAGE(tvlite::test::onnx::load_tensor(
                      (dir / "test_data_set_0" / "output_0.pb").string(), &expected, &error),
                  error);
  REQUIRE(g.outputs.size() >= 1);
  for (Impl impl : {Impl::kReference, Impl::kFast, Impl::kFastThreaded}) {
    Evaluator ev(impl, values);
    if (!ev.run(g, why)) return false;
    const Value* got = ev.value(g.outputs[0]);
    REQUIRE(got != nullptr);
    INFO(dir.filename().string() << (impl == Impl::kReference ? " reference" : " fast"));
    CHECK(got->dims == expected.dims);
    REQUIRE(got->data.size() == expected.floats.size());
    // 1e-5 relative + 1e-5 absolute: the cases' values are O(1) and their sums short.
    CHECK(tvlite::test::count_mismatches(got->data.data(), expected.floats.data(), nullptr,
                                         got->data.size(), 1e-5, 1e-5) == 0);
  }
  return true;
}

const char* const kCases[] = {
    "pytorch-converted/test_Conv2d",
    "pytorch-converted/test_Conv2d_depthwise",
    "pytorch-converted/test_Conv2d_depthwise_padded",
    "pytorch-converted/test_Conv2d_depthwise_strided",
    "pytorch-converted/test_Conv2d_depthwise_with_multiplier",
    "pytorch-converted/test_Conv2d_dilated",
    "pytorch-converted/test_Conv2d_groups",
    "pytorch-converted/test_Conv2d_groups_thnn",
    "pytorch-converted/test_Conv2d_no_bias",
    "pytorch-converted/test_Conv2d_padding",
    "pytorch-converted/test_Conv2d_strided",
    "pytorch-converted/test_BatchNorm2d_eval",
    "pytorch-converted/test_BatchNorm2d_momentum_eval",
    "pytorch-converted/test_MaxPool2d",
    "pytorch-converted/test_MaxPool2d_stride_padding_dilation",
    "pytorch-converted/test_Linear",
    "pytorch-converted/test_Linear_no_bias",
    "pytorch-converted/test_ReLU",
    "node/test_maxpool_2d_ceil",
    "node/test_maxpool_2d_default",
    "node/test_maxpool_2d_dilations",
    "node/test_maxpool_2d_pads",
    "node/test_maxpool_2d_precomputed_pads",
    "node/test_maxpool_2d_precomputed_strides",
    "node/test_maxpool_2d_strides",
    "node/test_globalaveragepool",
    "node/test_globalaveragepool_precomputed",
    "node/test_basic_conv_with_padding",
    "node/test_basic_conv_without_padding",
    "node/test_conv_with_strides_no_padding",
    "node/test_conv_with_strides_padding",
    "node/test_batchnorm_epsilon",
    "node/test_batchnorm_example",
    "node/test_relu",
    "node/test_add",
};

}  // namespace

TEST_CASE("kernels match libonnx-testdata cases generated by PyTorch") {
  const fs::path root = TVLITE_ONNX_TESTDATA;
  if (!fs::exists(root)) {
    MESSAGE("libonnx-testdata not installed at " << root << "; skipped");
    return;
  }
  int ran = 0, skipped = 0;
  for (const char* name : kCases) {
    const fs::path dir = root / name;
    if (!fs::exists(dir / "model.onnx")) {
      MESSAGE("missing case " << std::string(name));
      ++skipped;
      continue;
    }
    std::string why;
    if (run_case(dir, &why)) {
      ++ran;
    } else {
      MESSAGE("skipped " << std::string(name) << ": " << why);
      ++skipped;
    }
  }
  MESSAGE("ONNX cases run: " << ran << ", skipped: " << skipped);
  CHECK(ran >= 30);
}
