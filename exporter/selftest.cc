// torchvision's forward passes rebuilt from LibTorch operators, for the self-test a .tvl carries.
// Each family follows torchvision 0.14's module code line by line (models/resnet.py, alexnet.py,
// vgg.py); tests/archs checks the result against torchvision's own model output.
#include "tvlite/exporter/selftest.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "read/aten_types.h"

#ifndef TVLITE_LIBTORCH_VERSION
#define TVLITE_LIBTORCH_VERSION "unknown"
#endif

namespace tvlite::exporter {
namespace {

// The state dict's floating tensors as float32 ATen tensors (F32 ones borrowed, not copied).
class Weights {
 public:
  explicit Weights(const StateDict& sd) {
    for (const Tensor& t : sd) {
      if (!is_floating(t.dtype)) continue;
      at::Tensor raw = at::from_blob(const_cast<uint8_t*>(t.data.data()), t.shape,
                                     at::TensorOptions().dtype(to_aten(t.dtype)));
      map_.emplace(t.name, raw.to(at::kFloat));
    }
  }
  const at::Tensor& get(const std::string& name) const {
    auto it = map_.find(name);
    if (it == map_.end()) throw ExportError("self-test: the state dict has no " + name);
    return it->second;
  }
  bool has(const std::string& name) const { return map_.count(name) != 0; }

 private:
  std::map<std::string, at::Tensor> map_;
};

at::Tensor conv(const Weights& w, const at::Tensor& x, const std::string& name, int64_t stride,
                int64_t pad, int64_t groups = 1) {
  const std::string bias = name + ".bias";
  return at::conv2d(x, w.get(name + ".weight"), w.has(bias) ? w.get(bias) : at::Tensor(),
                    {stride, stride}, {pad, pad}, {1, 1}, groups);
}

// nn.BatchNorm2d in eval mode: running statistics, eps 1e-5.
at::Tensor bn(const Weights& w, const at::Tensor& x, const std::string& name) {
  return at::batch_norm(x, w.get(name + ".weight"), w.get(name + ".bias"),
                        w.get(name + ".running_mean"), w.get(name + ".running_var"),
                        /*training=*/false, /*momentum=*/0.1, /*eps=*/1e-5,
                        /*cudnn_enabled=*/false);
}

at::Tensor linear(const Weights& w, const at::Tensor& x, const std::string& name) {
  return at::linear(x, w.get(name + ".weight"), w.get(name + ".bias"));
}

// models/resnet.py: BasicBlock / Bottleneck (stride on the 3x3 conv, "ResNet V1.5").
at::Tensor resnet(const schema::ArchConfig& a, const Weights& w, at::Tensor x) {
  x = at::relu(bn(w, conv(w, x, "conv1", 2, 3), "bn1"));
  x = at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
  for (size_t s = 0; s < a.layers.size(); ++s) {
    for (int b = 0; b < a.layers[s]; ++b) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      const int64_t stride = s > 0 && b == 0 ? 2 : 1;
      at::Tensor out;
      if (a.block == schema::ResNetBlock::kBasic) {
        out = at::relu(bn(w, conv(w, x, p + "conv1", stride, 1), p + "bn1"));
        out = bn(w, conv(w, out, p + "conv2", 1, 1), p + "bn2");
      } else {
        out = at::relu(bn(w, conv(w, x, p + "conv1", 1, 0), p + "bn1"));
        out = at::relu(bn(w, conv(w, out, p + "conv2", stride, 1, a.groups), p + "bn2"));
        out = bn(w, conv(w, out, p + "conv3", 1, 0), p + "bn3");
      }
      const at::Tensor identity =
          w.has(p + "downsample.0.weight")
              ? bn(w, conv(w, x, p + "downsample.0", stride, 0), p + "downsample.1")
              : x;
      x = at::relu(out + identity);
    }
  }
  x = at::flatten(at::adaptive_avg_pool2d(x, {1, 1}), 1);
  return linear(w, x, "fc");
}

// models/alexnet.py; the classifier's Dropout layers (0 and 3) are the identity in eval mode.
at::Tensor alexnet(const Weights& w, at::Tensor x) {
  x = at::max_pool2d(at::relu(conv(w, x, "features.0", 4, 2)), {3, 3}, {2, 2});
  x = at::max_pool2d(at::relu(conv(w, x, "features.3", 1, 2)), {3, 3}, {2, 2});
  x = at::relu(conv(w, x, "features.6", 1, 1));
  x = at::relu(conv(w, x, "features.8", 1, 1));
  x = at::max_pool2d(at::relu(conv(w, x, "features.10", 1, 1)), {3, 3}, {2, 2});
  x = at::flatten(at::adaptive_avg_pool2d(x, {6, 6}), 1);
  x = at::relu(linear(w, x, "classifier.1"));
  x = at::relu(linear(w, x, "classifier.4"));
  return linear(w, x, "classifier.6");
}

// models/vgg.py make_layers(cfg, batch_norm); Dropout layers (2 and 5) are the identity.
at::Tensor vgg(const schema::ArchConfig& a, const Weights& w, at::Tensor x) {
  int index = 0;
  for (int v : a.vgg_layers) {
    if (v == schema::kVGGMaxPool) {
      x = at::max_pool2d(x, {2, 2}, {2, 2});
      ++index;
      continue;
    }
    x = conv(w, x, "features." + std::to_string(index), 1, 1);
    if (a.batch_norm) x = bn(w, x, "features." + std::to_string(index + 1));
    x = at::relu(x);
    index += a.batch_norm ? 3 : 2;
  }
  x = at::flatten(at::adaptive_avg_pool2d(x, {7, 7}), 1);
  x = at::relu(linear(w, x, "classifier.0"));
  x = at::relu(linear(w, x, "classifier.3"));
  return linear(w, x, "classifier.6");
}

}  // namespace

std::vector<float> reference_logits(const schema::ArchConfig& arch, const StateDict& sd, int n,
                                    int h, int w, const float* input) {
  if (n < 1 || h < 1 || w < 1) throw ExportError("self-test: empty input");
  c10::InferenceMode guard;
  const Weights weights(sd);
  at::Tensor x = at::from_blob(const_cast<float*>(input), {n, 3, h, w}, at::kFloat);
  at::Tensor y;
  switch (arch.family) {
    case schema::ArchFamily::kResNet:
      y = resnet(arch, weights, x);
      break;
    case schema::ArchFamily::kAlexNet:
      y = alexnet(weights, x);
      break;
    case schema::ArchFamily::kVGG:
      y = vgg(arch, weights, x);
      break;
  }
  y = y.contiguous();
  if (y.dim() != 2 || y.size(0) != n || y.size(1) != arch.num_classes)
    throw ExportError("self-test: the forward pass gave logits of shape " +
                      shape_string(y.sizes().vec()));
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

SelfTest make_selftest(const schema::ArchConfig& arch, const StateDict& sd) {
  SelfTest t;
  t.height = t.width = kSelfTestSize;
  t.seed = kSelfTestSeed;
  {
    c10::InferenceMode guard;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(t.seed);
    at::Tensor x = at::randn({t.batch, t.channels, t.height, t.width}, gen, at::kFloat);
    t.input.assign(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  }
  t.logits = reference_logits(arch, sd, t.batch, t.height, t.width, t.input.data());
  double max_abs = 0;
  for (float v : t.logits) {
    if (!std::isfinite(v))
      throw ExportError("self-test: the network's logits are not finite (inf or NaN weights?); "
                        "export with --no-selftest to write the file anyway");
    max_abs = std::max(max_abs, double(std::fabs(v)));
  }
  t.tolerance = float(kSelfTestRelTolerance * std::max(1.0, max_abs));
  t.generator = std::string("libtorch ") + TVLITE_LIBTORCH_VERSION +
                ": input at::randn(CPUGeneratorImpl(seed)), logits from at::conv2d, "
                "at::batch_norm, at::relu, at::max_pool2d, at::adaptive_avg_pool2d, at::linear";
  return t;
}

}  // namespace tvlite::exporter
