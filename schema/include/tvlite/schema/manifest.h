// The tensors each architecture's state dict holds, in state-dict order, with their shapes.
// Shared by the exporter (to recognise and check a state dict) and the runtime (to check a
// .tvl holds what its builder will bind). Pure data: no files, no LibTorch, no FlatBuffers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tvlite::schema {

enum class ArchFamily { kResNet, kAlexNet, kVGG };
enum class ResNetBlock { kBasic, kBottleneck };

struct ArchConfig {
  std::string name;  // "resnet18", ..., "resnext50_32x4d", "alexnet", "vgg16_bn"
  ArchFamily family = ArchFamily::kResNet;
  ResNetBlock block = ResNetBlock::kBasic;
  std::vector<int> layers;  // ResNet blocks per stage
  int groups = 1;
  int width_per_group = 64;
  int num_classes = 1000;
  // VGG: an output channel count per 3x3 conv, kVGGMaxPool for MaxPool2d(2, 2) (torchvision's
  // cfgs "A", "B", "D", "E" with "M" as 0); batch_norm for the *_bn variants.
  std::vector<int> vgg_layers;
  bool batch_norm = false;
};

constexpr int kVGGMaxPool = 0;

enum class EntryKind {
  kFloat,    // a parameter or running statistic, any floating dtype
  kCounter,  // num_batches_tracked: int64 scalar, optional (old files lack it), unused at inference
};

struct ManifestEntry {
  std::string name;
  std::vector<int64_t> shape;
  EntryKind kind = EntryKind::kFloat;
};

// Named torchvision configurations: resnet18/34/50/101/152, resnext50_32x4d, resnext101_32x8d,
// resnext101_64x4d, wide_resnet50_2, wide_resnet101_2, alexnet, vgg11/13/16/19 and their _bn
// variants. False for an unknown name.
bool arch_by_name(const std::string& name, int num_classes, ArchConfig* out);
// The names arch_by_name accepts, comma-separated, for error messages.
std::string supported_arch_names();

// Every state-dict entry of the architecture, in torchvision's state_dict() order.
std::vector<ManifestEntry> arch_manifest(const ArchConfig& arch);

// Channel width of a ResNet stage's bottleneck: int(planes * width_per_group / 64) * groups.
int resnet_bottleneck_width(const ArchConfig& arch, int planes);

// The same, allocation-free, for the runtime's load path (which must not touch the heap when it
// runs in a caller's workspace): an ArchConfig whose arrays are borrowed, and a visitor that
// sees each entry with its name in a stack buffer (valid only during the call).
struct ArchView {
  ArchFamily family = ArchFamily::kResNet;
  ResNetBlock block = ResNetBlock::kBasic;
  const int* layers = nullptr;  // ResNet: num_layers stage block counts
  int num_layers = 0;
  int groups = 1;
  int width_per_group = 64;
  int num_classes = 1000;
  const int* vgg_layers = nullptr;
  int num_vgg_layers = 0;
  bool batch_norm = false;
};
ArchView view_of(const ArchConfig& arch);
int resnet_bottleneck_width(const ArchView& arch, int planes);
// Returns false to stop the walk early.
using ManifestVisitor = bool (*)(void* ctx, std::string_view name, const int64_t* shape, int rank,
                                 EntryKind kind);
// Calls `visit` for every entry arch_manifest() would list, in the same order; false when the
// visitor stopped it.
bool visit_manifest(const ArchView& arch, ManifestVisitor visit, void* ctx);

// Writes the decimal digits of v (>= 0) at out[len], keeping len below capacity (one byte is left
// for the caller's terminator); returns the new length. No allocation, no stdio: tensor names are
// built this way by the manifest and by the runtime's graph builder, on bare metal too.
size_t append_decimal(int64_t v, char* out, size_t len, size_t capacity);

}  // namespace tvlite::schema
