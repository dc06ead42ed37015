// The tensors each architecture's state dict holds, in state-dict order, with their shapes.
// Shared by the exporter (to recognise and check a state dict) and the runtime (to check a
// .tvl holds what its builder will bind). Pure data: no files, no LibTorch, no FlatBuffers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::schema {

enum class ArchFamily { kResNet, kAlexNet };
enum class ResNetBlock { kBasic, kBottleneck };

struct ArchConfig {
  std::string name;  // "resnet18", ..., "alexnet"
  ArchFamily family = ArchFamily::kResNet;
  ResNetBlock block = ResNetBlock::kBasic;
  std::vector<int> layers;  // ResNet blocks per stage
  int groups = 1;
  int width_per_group = 64;
  int num_classes = 1000;
};

enum class EntryKind {
  kFloat,    // a parameter or running statistic, any floating dtype
  kCounter,  // num_batches_tracked: int64 scalar, optional (old files lack it), unused at inference
};

struct ManifestEntry {
  std::string name;
  std::vector<int64_t> shape;
  EntryKind kind = EntryKind::kFloat;
};

// Named torchvision configurations: resnet18/34/50/101/152, alexnet. False for an unknown name.
bool arch_by_name(const std::string& name, int num_classes, ArchConfig* out);
// The names arch_by_name accepts, comma-separated, for error messages.
std::string supported_arch_names();

// Every state-dict entry of the architecture, in torchvision's state_dict() order.
std::vector<ManifestEntry> arch_manifest(const ArchConfig& arch);

// Channel width of a ResNet stage's bottleneck: int(planes * width_per_group / 64) * groups.
int resnet_bottleneck_width(const ArchConfig& arch, int planes);

}  // namespace tvlite::schema
