#include "tvlite/exporter/detect.h"

#include <climits>
#include <cstdio>
#include <map>
#include <set>

#include "tvlite/exporter/prefix.h"

namespace tvlite::exporter {
namespace {

using schema::ArchConfig;
using schema::ArchFamily;
using schema::ResNetBlock;

std::vector<std::string> named_archs() {
  std::vector<std::string> out;
  const std::string all = schema::supported_arch_names();
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find(", ", start);
    if (end == std::string::npos) end = all.size();
    out.push_back(all.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

// Rows of a 2-D classifier weight, when they make a plausible class count.
int classes_from(const Tensor* w, int fallback) {
  if (w && w->shape.size() == 2 && w->shape[0] > 0 && w->shape[0] <= INT_MAX)
    return int(w->shape[0]);
  return fallback;
}

std::string hint(const StateDict& sd) {
  auto any = [&](const char* part) {
    for (const Tensor& t : sd)
      if (t.name.find(part) != std::string::npos) return true;
    return false;
  };
  if (any("encoder.") || any("attn") || any("blocks."))
    return "a transformer or another non-CNN model";
  if (any("backbone."))
    return "a detection or segmentation model wrapping a backbone (--prefix backbone. exports the "
           "backbone alone, if it is a network tvlite knows)";
  if (any("features."))  // before layer1.: DenseNet's keys hold "denselayer1."
    return "a features/classifier CNN (DenseNet, MobileNet, EfficientNet, ...) other than AlexNet "
           "and VGG";
  if (any("layer1.")) return "a ResNet variant, but without the conv1/fc of torchvision's ResNet";
  return "no ResNet layout (conv1, layer1-4, fc) and no AlexNet or VGG layout (features.N, "
         "classifier.N)";
}

std::string first_keys(const StateDict& sd) {
  std::string s;
  for (size_t i = 0; i < sd.size() && i < 5; ++i)
    s += (i ? ", " : "") + sd[i].name + " " + shape_string(sd[i].shape);
  if (sd.size() > 5) s += ", ...";
  return sd.empty() ? "(no tensors)" : s;
}

ArchConfig detect_resnet(const std::map<std::string, const Tensor*>& by_name, const StateDict& sd) {
  std::vector<int> layers(4, 0);
  bool bottleneck = false;
  for (const Tensor& t : sd) {
    int stage = 0, block = 0, used = 0;
    if (std::sscanf(t.name.c_str(), "layer%d.%d.%n", &stage, &block, &used) < 2 || used == 0)
      continue;
    if (stage < 1 || stage > 4 || block < 0 || block > 1000) continue;
    layers[stage - 1] = std::max(layers[stage - 1], block + 1);
    if (t.name.compare(used, std::string::npos, "conv3.weight") == 0) bottleneck = true;
  }
  const int num_classes =
      classes_from(by_name.count("fc.weight") ? by_name.at("fc.weight") : nullptr, 1000);
  // A bottleneck's width is width_per_group * groups (layer1's conv1 rows); its grouped 3x3 conv
  // has width / groups = width_per_group input channels per group (conv2's second dimension).
  int groups = 1, width_per_group = 64;
  if (bottleneck && by_name.count("layer1.0.conv1.weight") &&
      by_name.count("layer1.0.conv2.weight")) {
    const Tensor* w1 = by_name.at("layer1.0.conv1.weight");
    const Tensor* w2 = by_name.at("layer1.0.conv2.weight");
    if (w1->shape.size() == 4 && w2->shape.size() == 4 && w2->shape[1] > 0 &&
        w1->shape[0] % w2->shape[1] == 0 && w1->shape[0] <= 65536) {
      width_per_group = int(w2->shape[1]);
      groups = int(w1->shape[0] / w2->shape[1]);
    }
  }
  for (const std::string& name : named_archs()) {
    ArchConfig a;
    schema::arch_by_name(name, num_classes, &a);
    if (a.family == ArchFamily::kResNet && a.layers == layers &&
        (a.block == ResNetBlock::kBottleneck) == bottleneck && a.groups == groups &&
        a.width_per_group == width_per_group)
      return a;
  }
  std::string blocks;
  for (int n : layers) blocks += (blocks.empty() ? "" : ", ") + std::to_string(n);
  throw ExportError(std::string("looks like a ResNet with ") +
                    (bottleneck ? "bottleneck" : "basic") + " blocks [" + blocks + "] per stage" +
                    (bottleneck ? ", groups " + std::to_string(groups) + " and width_per_group " +
                                      std::to_string(width_per_group)
                                : std::string()) +
                    ", which is none of the supported architectures: " +
                    schema::supported_arch_names() + " (pass --arch NAME to check it against one)");
}

// features.N names of a manifest or state dict, without the optional BN counters.
std::set<std::string> feature_names(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const std::string& n : names) {
    if (n.rfind("features.", 0) != 0) continue;
    const std::string suffix = ".num_batches_tracked";
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      continue;
    out.insert(n);
  }
  return out;
}

// VGG: the torchvision configuration whose features.N keys are exactly the file's.
ArchConfig detect_vgg(const std::map<std::string, const Tensor*>& by_name, const StateDict& sd) {
  std::vector<std::string> names;
  for (const Tensor& t : sd) names.push_back(t.name);
  const std::set<std::string> have = feature_names(names);
  const int num_classes = classes_from(
      by_name.count("classifier.6.weight") ? by_name.at("classifier.6.weight") : nullptr, 1000);
  int convs = 0;
  bool bn = false;
  for (const std::string& n : have) {
    const Tensor* t = by_name.at(n);
    if (t->shape.size() == 4) ++convs;
    if (n.find("running_mean") != std::string::npos) bn = true;
  }
  for (const std::string& name : named_archs()) {
    ArchConfig a;
    schema::arch_by_name(name, num_classes, &a);
    if (a.family != ArchFamily::kVGG) continue;
    std::vector<std::string> want;
    for (const schema::ManifestEntry& e : schema::arch_manifest(a)) want.push_back(e.name);
    if (feature_names(want) == have) return a;
  }
  throw ExportError("looks like a VGG (features.N with classifier.0) with " +
                    std::to_string(convs) + " convolutions" +
                    (bn ? " and batch norm" : " without batch norm") +
                    ", but its features.N keys match none of vgg11/13/16/19" + (bn ? "_bn" : "") +
                    "; supported: " + schema::supported_arch_names() +
                    " (pass --arch NAME to check it against one)");
}

}  // namespace

ArchConfig detect_arch(const StateDict& sd, const std::string& arch_name) {
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : sd) by_name.emplace(t.name, &t);
  auto find = [&](const char* n) -> const Tensor* {
    auto it = by_name.find(n);
    return it == by_name.end() ? nullptr : it->second;
  };
  if (!arch_name.empty()) {
    ArchConfig a;
    const bool classifier = arch_name == "alexnet" || arch_name.rfind("vgg", 0) == 0;
    const Tensor* head = classifier ? find("classifier.6.weight") : find("fc.weight");
    if (!schema::arch_by_name(arch_name, classes_from(head, 1000), &a))
      throw ExportError("unknown architecture '" + arch_name +
                        "'; supported: " + schema::supported_arch_names());
    return a;
  }
  if (find("conv1.weight") && find("layer1.0.conv1.weight")) return detect_resnet(by_name, sd);
  const Tensor* f0 = find("features.0.weight");
  if (f0 && find("classifier.1.weight") && f0->shape == std::vector<int64_t>{64, 3, 11, 11}) {
    ArchConfig a;
    schema::arch_by_name("alexnet", classes_from(find("classifier.6.weight"), 1000), &a);
    return a;
  }
  if (f0 && find("classifier.0.weight")) return detect_vgg(by_name, sd);
  // A network kept inside a module is named as such, not guessed at from the key names.
  std::string nested;
  for (const std::string& p : model_prefixes(sd))
    nested += "\nthe keys under '" + p + "' look like a network tvlite knows: pass --prefix " + p;
  const std::string guess =
      nested.empty() ? hint(sd) : "a module that holds a network tvlite knows (below)";
  throw ExportError("cannot recognise the architecture: the first keys are " + first_keys(sd) +
                    "; they suggest " + guess + nested + "\nsupported architectures: " +
                    schema::supported_arch_names() + " (pass --arch NAME to force one)");
}

}  // namespace tvlite::exporter
