#include "tvlite/schema/manifest.h"

#include <cstdint>

namespace tvlite::schema {
namespace {

struct NamedArch {
  const char* name;
  ArchFamily family;
  ResNetBlock block;
  int layers[4];
  int groups;
  int width_per_group;
  char vgg_cfg;  // torchvision's VGG cfg letter, 0 for other families
  bool batch_norm;
};

constexpr NamedArch kNamed[] = {
    {"resnet18", ArchFamily::kResNet, ResNetBlock::kBasic, {2, 2, 2, 2}, 1, 64, 0, false},
    {"resnet34", ArchFamily::kResNet, ResNetBlock::kBasic, {3, 4, 6, 3}, 1, 64, 0, false},
    {"resnet50", ArchFamily::kResNet, ResNetBlock::kBottleneck, {3, 4, 6, 3}, 1, 64, 0, false},
    {"resnet101", ArchFamily::kResNet, ResNetBlock::kBottleneck, {3, 4, 23, 3}, 1, 64, 0, false},
    {"resnet152", ArchFamily::kResNet, ResNetBlock::kBottleneck, {3, 8, 36, 3}, 1, 64, 0, false},
    {"resnext50_32x4d",
     ArchFamily::kResNet,
     ResNetBlock::kBottleneck,
     {3, 4, 6, 3},
     32,
     4,
     0,
     false},
    {"resnext101_32x8d",
     ArchFamily::kResNet,
     ResNetBlock::kBottleneck,
     {3, 4, 23, 3},
     32,
     8,
     0,
     false},
    {"resnext101_64x4d",
     ArchFamily::kResNet,
     ResNetBlock::kBottleneck,
     {3, 4, 23, 3},
     64,
     4,
     0,
     false},
    {"wide_resnet50_2",
     ArchFamily::kResNet,
     ResNetBlock::kBottleneck,
     {3, 4, 6, 3},
     1,
     128,
     0,
     false},
    {"wide_resnet101_2",
     ArchFamily::kResNet,
     ResNetBlock::kBottleneck,
     {3, 4, 23, 3},
     1,
     128,
     0,
     false},
    {"alexnet", ArchFamily::kAlexNet, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 0, false},
    {"vgg11", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'A', false},
    {"vgg11_bn", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'A', true},
    {"vgg13", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'B', false},
    {"vgg13_bn", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'B', true},
    {"vgg16", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'D', false},
    {"vgg16_bn", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'D', true},
    {"vgg19", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'E', false},
    {"vgg19_bn", ArchFamily::kVGG, ResNetBlock::kBasic, {0, 0, 0, 0}, 1, 64, 'E', true},
};

constexpr int M = kVGGMaxPool;
// torchvision.models.vgg.cfgs
std::vector<int> vgg_cfg(char letter) {
  switch (letter) {
    case 'A':
      return {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
    case 'B':
      return {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
    case 'D':
      return {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
    case 'E':
      return {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
              512, 512, 512, 512, M,   512, 512, 512, 512, M};
  }
  return {};
}

void add_bn(std::vector<ManifestEntry>* out, const std::string& prefix, int64_t c) {
  out->push_back({prefix + ".weight", {c}, EntryKind::kFloat});
  out->push_back({prefix + ".bias", {c}, EntryKind::kFloat});
  out->push_back({prefix + ".running_mean", {c}, EntryKind::kFloat});
  out->push_back({prefix + ".running_var", {c}, EntryKind::kFloat});
  out->push_back({prefix + ".num_batches_tracked", {}, EntryKind::kCounter});
}

void add_conv(std::vector<ManifestEntry>* out, const std::string& name, int64_t cout, int64_t cin,
              int64_t k) {
  out->push_back({name + ".weight", {cout, cin, k, k}, EntryKind::kFloat});
}

void add_linear(std::vector<ManifestEntry>* out, const std::string& prefix, int64_t cout,
                int64_t cin) {
  out->push_back({prefix + ".weight", {cout, cin}, EntryKind::kFloat});
  out->push_back({prefix + ".bias", {cout}, EntryKind::kFloat});
}

std::vector<ManifestEntry> resnet_manifest(const ArchConfig& a) {
  std::vector<ManifestEntry> m;
  const bool bottleneck = a.block == ResNetBlock::kBottleneck;
  const int expansion = bottleneck ? 4 : 1;
  add_conv(&m, "conv1", 64, 3, 7);
  add_bn(&m, "bn1", 64);
  int64_t inplanes = 64;
  for (size_t stage = 0; stage < a.layers.size(); ++stage) {
    const int64_t planes = int64_t(64) << stage;
    const int stride = stage == 0 ? 1 : 2;
    for (int b = 0; b < a.layers[stage]; ++b) {
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(b) + ".";
      if (bottleneck) {
        const int64_t width = resnet_bottleneck_width(a, int(planes));
        add_conv(&m, p + "conv1", width, inplanes, 1);
        add_bn(&m, p + "bn1", width);
        add_conv(&m, p + "conv2", width, width / a.groups, 3);
        add_bn(&m, p + "bn2", width);
        add_conv(&m, p + "conv3", planes * expansion, width, 1);
        add_bn(&m, p + "bn3", planes * expansion);
      } else {
        add_conv(&m, p + "conv1", planes, inplanes, 3);
        add_bn(&m, p + "bn1", planes);
        add_conv(&m, p + "conv2", planes, planes, 3);
        add_bn(&m, p + "bn2", planes);
      }
      if (b == 0 && (stride != 1 || inplanes != planes * expansion)) {
        add_conv(&m, p + "downsample.0", planes * expansion, inplanes, 1);
        add_bn(&m, p + "downsample.1", planes * expansion);
      }
      inplanes = planes * expansion;
    }
  }
  add_linear(&m, "fc", a.num_classes, inplanes);
  return m;
}

// features.N: conv (weight, bias), [BatchNorm2d], ReLU per channel count; MaxPool per marker.
std::vector<ManifestEntry> vgg_manifest(const ArchConfig& a) {
  std::vector<ManifestEntry> m;
  int index = 0;
  int64_t in = 3;
  for (int v : a.vgg_layers) {
    if (v == kVGGMaxPool) {
      ++index;
      continue;
    }
    const std::string conv = "features." + std::to_string(index);
    add_conv(&m, conv, v, in, 3);
    m.push_back({conv + ".bias", {v}, EntryKind::kFloat});
    if (a.batch_norm) add_bn(&m, "features." + std::to_string(index + 1), v);
    index += a.batch_norm ? 3 : 2;
    in = v;
  }
  add_linear(&m, "classifier.0", 4096, in * 7 * 7);
  add_linear(&m, "classifier.3", 4096, 4096);
  add_linear(&m, "classifier.6", a.num_classes, 4096);
  return m;
}

std::vector<ManifestEntry> alexnet_manifest(const ArchConfig& a) {
  std::vector<ManifestEntry> m;
  auto conv = [&m](const std::string& n, int64_t cout, int64_t cin, int64_t k) {
    add_conv(&m, n, cout, cin, k);
    m.push_back({n + ".bias", {cout}, EntryKind::kFloat});
  };
  conv("features.0", 64, 3, 11);
  conv("features.3", 192, 64, 5);
  conv("features.6", 384, 192, 3);
  conv("features.8", 256, 384, 3);
  conv("features.10", 256, 256, 3);
  add_linear(&m, "classifier.1", 4096, 256 * 6 * 6);
  add_linear(&m, "classifier.4", 4096, 4096);
  add_linear(&m, "classifier.6", a.num_classes, 4096);
  return m;
}

}  // namespace

bool arch_by_name(const std::string& name, int num_classes, ArchConfig* out) {
  for (const NamedArch& n : kNamed) {
    if (name != n.name) continue;
    ArchConfig a;
    a.name = n.name;
    a.family = n.family;
    a.block = n.block;
    if (n.family == ArchFamily::kResNet) a.layers.assign(n.layers, n.layers + 4);
    a.groups = n.groups;
    a.width_per_group = n.width_per_group;
    if (n.family == ArchFamily::kVGG) a.vgg_layers = vgg_cfg(n.vgg_cfg);
    a.batch_norm = n.batch_norm;
    a.num_classes = num_classes;
    *out = a;
    return true;
  }
  return false;
}

std::string supported_arch_names() {
  std::string s;
  for (const NamedArch& n : kNamed) {
    if (!s.empty()) s += ", ";
    s += n.name;
  }
  return s;
}

int resnet_bottleneck_width(const ArchConfig& a, int planes) {
  // In 64 bits: an untrusted file may carry huge groups x width_per_group (found by fuzzing).
  const int64_t width = int64_t(planes) * a.width_per_group / 64 * a.groups;
  return width > INT32_MAX ? INT32_MAX : int(width);
}

std::vector<ManifestEntry> arch_manifest(const ArchConfig& arch) {
  switch (arch.family) {
    case ArchFamily::kAlexNet:
      return alexnet_manifest(arch);
    case ArchFamily::kVGG:
      return vgg_manifest(arch);
    case ArchFamily::kResNet:
      break;
  }
  return resnet_manifest(arch);
}

}  // namespace tvlite::schema
