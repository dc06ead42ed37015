#include "tvlite/schema/manifest.h"

#include <cstdint>
#include <initializer_list>

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

// Walks one architecture's entries with names built in a fixed buffer (no allocation): the
// runtime's load path checks a file against it inside a caller's workspace.
class Walker {
 public:
  Walker(ManifestVisitor visit, void* ctx) : visit_(visit), ctx_(ctx) {}
  bool ok() const { return ok_; }

  // Name prefixes: "layer", 1, ".", 0, "." -> "layer1.0."
  void prefix(const char* a) { len_ = 0; append(a); }
  void append(const char* a) {
    while (*a && len_ + 1 < sizeof name_) name_[len_++] = *a++;
  }
  void append(int64_t v) { len_ = append_decimal(v, name_, len_, sizeof name_); }
  size_t mark() const { return len_; }
  void reset(size_t mark) { len_ = mark; }

  void entry(const char* suffix, std::initializer_list<int64_t> shape, EntryKind kind) {
    if (!ok_) return;
    const size_t m = len_;
    append(suffix);
    int64_t dims[4] = {0, 0, 0, 0};
    int rank = 0;
    for (int64_t d : shape) dims[rank++] = d;
    ok_ = visit_(ctx_, std::string_view(name_, len_), dims, rank, kind);
    len_ = m;
  }
  void conv(int64_t cout, int64_t cin, int64_t k) {
    entry(".weight", {cout, cin, k, k}, EntryKind::kFloat);
  }
  void bias(int64_t c) { entry(".bias", {c}, EntryKind::kFloat); }
  void bn(int64_t c) {
    entry(".weight", {c}, EntryKind::kFloat);
    entry(".bias", {c}, EntryKind::kFloat);
    entry(".running_mean", {c}, EntryKind::kFloat);
    entry(".running_var", {c}, EntryKind::kFloat);
    entry(".num_batches_tracked", {}, EntryKind::kCounter);
  }
  void linear(const char* name, int64_t cout, int64_t cin) {
    prefix(name);
    entry(".weight", {cout, cin}, EntryKind::kFloat);
    bias(cout);
  }

 private:
  ManifestVisitor visit_;
  void* ctx_;
  bool ok_ = true;
  char name_[64];
  size_t len_ = 0;
};

void resnet_walk(const ArchView& a, Walker& w) {
  const bool bottleneck = a.block == ResNetBlock::kBottleneck;
  const int expansion = bottleneck ? 4 : 1;
  w.prefix("conv1");
  w.conv(64, 3, 7);
  w.prefix("bn1");
  w.bn(64);
  int64_t inplanes = 64;
  for (int stage = 0; stage < a.num_layers; ++stage) {
    const int64_t planes = int64_t(64) << stage;
    const int stride = stage == 0 ? 1 : 2;
    for (int b = 0; b < a.layers[stage]; ++b) {
      w.prefix("layer");
      w.append(int64_t(stage + 1));
      w.append(".");
      w.append(int64_t(b));
      w.append(".");
      const size_t p = w.mark();
      auto layer = [&](const char* name) {
        w.reset(p);
        w.append(name);
      };
      if (bottleneck) {
        const int64_t width = resnet_bottleneck_width(a, int(planes));
        layer("conv1"), w.conv(width, inplanes, 1);
        layer("bn1"), w.bn(width);
        layer("conv2"), w.conv(width, width / a.groups, 3);
        layer("bn2"), w.bn(width);
        layer("conv3"), w.conv(planes * expansion, width, 1);
        layer("bn3"), w.bn(planes * expansion);
      } else {
        layer("conv1"), w.conv(planes, inplanes, 3);
        layer("bn1"), w.bn(planes);
        layer("conv2"), w.conv(planes, planes, 3);
        layer("bn2"), w.bn(planes);
      }
      if (b == 0 && (stride != 1 || inplanes != planes * expansion)) {
        layer("downsample.0"), w.conv(planes * expansion, inplanes, 1);
        layer("downsample.1"), w.bn(planes * expansion);
      }
      inplanes = planes * expansion;
    }
  }
  w.linear("fc", a.num_classes, inplanes);
}

// features.N: conv (weight, bias), [BatchNorm2d], ReLU per channel count; MaxPool per marker.
void vgg_walk(const ArchView& a, Walker& w) {
  int index = 0;
  int64_t in = 3;
  for (int i = 0; i < a.num_vgg_layers; ++i) {
    const int v = a.vgg_layers[i];
    if (v == kVGGMaxPool) {
      ++index;
      continue;
    }
    w.prefix("features.");
    w.append(int64_t(index));
    w.conv(v, in, 3);
    w.bias(v);
    if (a.batch_norm) {
      w.prefix("features.");
      w.append(int64_t(index + 1));
      w.bn(v);
    }
    index += a.batch_norm ? 3 : 2;
    in = v;
  }
  w.linear("classifier.0", 4096, in * 7 * 7);
  w.linear("classifier.3", 4096, 4096);
  w.linear("classifier.6", a.num_classes, 4096);
}

void alexnet_walk(const ArchView& a, Walker& w) {
  auto conv = [&w](const char* n, int64_t cout, int64_t cin, int64_t k) {
    w.prefix(n);
    w.conv(cout, cin, k);
    w.bias(cout);
  };
  conv("features.0", 64, 3, 11);
  conv("features.3", 192, 64, 5);
  conv("features.6", 384, 192, 3);
  conv("features.8", 256, 384, 3);
  conv("features.10", 256, 256, 3);
  w.linear("classifier.1", 4096, 256 * 6 * 6);
  w.linear("classifier.4", 4096, 4096);
  w.linear("classifier.6", a.num_classes, 4096);
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
  return resnet_bottleneck_width(view_of(a), planes);
}

int resnet_bottleneck_width(const ArchView& a, int planes) {
  // In 64 bits: an untrusted file may carry huge groups x width_per_group (found by fuzzing).
  const int64_t width = int64_t(planes) * a.width_per_group / 64 * a.groups;
  return width > INT32_MAX ? INT32_MAX : int(width);
}

ArchView view_of(const ArchConfig& a) {
  ArchView v;
  v.family = a.family;
  v.block = a.block;
  v.layers = a.layers.data();
  v.num_layers = int(a.layers.size());
  v.groups = a.groups;
  v.width_per_group = a.width_per_group;
  v.num_classes = a.num_classes;
  v.vgg_layers = a.vgg_layers.data();
  v.num_vgg_layers = int(a.vgg_layers.size());
  v.batch_norm = a.batch_norm;
  return v;
}

bool visit_manifest(const ArchView& arch, ManifestVisitor visit, void* ctx) {
  Walker w(visit, ctx);
  switch (arch.family) {
    case ArchFamily::kAlexNet:
      alexnet_walk(arch, w);
      break;
    case ArchFamily::kVGG:
      vgg_walk(arch, w);
      break;
    case ArchFamily::kResNet:
      resnet_walk(arch, w);
      break;
  }
  return w.ok();
}

std::vector<ManifestEntry> arch_manifest(const ArchConfig& arch) {
  std::vector<ManifestEntry> m;
  visit_manifest(
      view_of(arch),
      [](void* ctx, std::string_view name, const int64_t* shape, int rank, EntryKind kind) {
        static_cast<std::vector<ManifestEntry>*>(ctx)->push_back(
            {std::string(name), std::vector<int64_t>(shape, shape + rank), kind});
        return true;
      },
      &m);
  return m;
}

size_t append_decimal(int64_t v, char* out, size_t len, size_t capacity) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = char('0' + v % 10);
    v /= 10;
  } while (v > 0 && n < 23);
  while (n > 0 && len + 1 < capacity) out[len++] = digits[--n];
  return len;
}

}  // namespace tvlite::schema
