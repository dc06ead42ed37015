// An opened, verified .tvl model. Weights are borrowed in place from the file mapping or from the
// caller's buffer: nothing is copied (see "Ownership" below).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tvlite/status.h"
#include "tvlite/workspace.h"

namespace tvlite {

namespace fb {
struct Model;
}
namespace detail {
struct Graph;
}

enum class Verify {
  kStructure,  // identifier, version, FlatBuffers verifier, offsets/lengths/alignment, shapes,
               // the architecture's required tensors (always done)
  kFull,       // kStructure + every tensor's XXH3-64 checksum (reads every byte)
};

enum class DType { kF32, kF16, kBF16, kI64 };
const char* to_string(DType dtype);
size_t dtype_size(DType dtype);

// A tensor's dimensions, stored inline (the format allows rank <= 8): no allocation per tensor.
class Dims {
 public:
  static constexpr size_t kMaxRank = 8;
  size_t size() const { return rank_; }
  bool empty() const { return rank_ == 0; }
  int64_t operator[](size_t i) const { return dims_[i]; }
  const int64_t* begin() const { return dims_; }
  const int64_t* end() const { return dims_ + rank_; }
  bool push_back(int64_t d) {  // false when full
    if (rank_ == kMaxRank) return false;
    dims_[rank_++] = d;
    return true;
  }
  std::vector<int64_t> to_vector() const { return std::vector<int64_t>(begin(), end()); }
  bool equals(const int64_t* dims, size_t rank) const {
    if (rank != rank_) return false;
    for (size_t i = 0; i < rank; ++i) {
      if (dims[i] != dims_[i]) return false;
    }
    return true;
  }
  friend bool operator==(const Dims& a, const std::vector<int64_t>& b) {
    return a.equals(b.data(), b.size());
  }
  friend bool operator!=(const Dims& a, const std::vector<int64_t>& b) { return !(a == b); }

 private:
  int64_t dims_[kMaxRank] = {};
  size_t rank_ = 0;
};

struct TensorInfo {
  std::string_view name;  // points into the model's bytes
  DType dtype = DType::kF32;
  Dims shape;
  int64_t numel = 0;
  uint64_t offset = 0;  // from the start of the file
  uint64_t length = 0;  // bytes
  uint64_t checksum = 0;
  const void* data = nullptr;  // model base + offset, aligned to the file's alignment
};

// The containers below live in the Model's memory resource: the heap, or a caller's Workspace.
struct ArchInfo {
  explicit ArchInfo(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : name(memory), family(memory), block(memory), layers(memory), vgg_layers(memory) {}
  std::pmr::string name;    // "resnet50"
  std::pmr::string family;  // "resnet", "alexnet", "vgg"
  std::pmr::string block;   // "basic" / "bottleneck" (ResNet only)
  std::pmr::vector<int> layers;
  int groups = 1;
  int width_per_group = 64;
  int num_classes = 0;
  std::pmr::vector<int> vgg_layers;  // VGG: channels per 3x3 conv, 0 for MaxPool2d(2, 2)
  bool batch_norm = false;           // VGG *_bn
};

struct InputInfo {
  explicit InputInfo(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : mean(memory), std(memory), labels(memory) {}
  int channels = 3;
  int height = 224, width = 224;  // default (crop) size
  int resize = 256;               // short side before the center crop
  std::pmr::vector<float> mean, std;
  std::pmr::vector<std::string_view> labels;  // into the model's bytes; empty when it has none
};

struct OpenOptions {
  Verify verify = Verify::kStructure;
  // For from_buffer(): a buffer whose address is not a multiple of the file's alignment is refused
  // with kMisaligned unless this is set, in which case the model makes one aligned copy.
  bool copy_if_misaligned = false;
  // Where the Model's own structures (tensor table, graph, folded batch norms) live: the heap
  // when null, else the caller's Workspace, which must outlive the Model. With a workspace and a
  // zero-copy file, opening makes no heap allocation.
  Workspace* workspace = nullptr;
};

class Model {
 public:
  // Maps `path` read-only and verifies it. The mapping lives as long as the Model.
  static Result<std::shared_ptr<const Model>> open(const std::string& path,
                                                   const OpenOptions& options = {});
  // Borrows [data, data + size): the caller keeps it alive and unchanged for the Model's lifetime
  // (firmware flash, a static array). `data` must be aligned to 64 bytes (see copy_if_misaligned).
  static Result<std::shared_ptr<const Model>> from_buffer(const void* data, size_t size,
                                                          const OpenOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ArchInfo& arch() const { return arch_; }
  const InputInfo& input() const { return input_; }
  const std::pmr::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(std::string_view name) const;  // null when absent
  // A floating tensor of the architecture as f32: in place for F32 tensors; F16/BF16 tensors
  // were widened at open into a buffer the Model owns (so such files are not zero-copy).
  // Null for absent or integer tensors. Valid as long as the Model.
  const float* f32_data(std::string_view name) const;
  bool is_zero_copy() const { return widened_.empty() && owned_.empty(); }
  int format_major() const { return format_major_; }
  int format_minor() const { return format_minor_; }
  const std::pmr::string& producer() const { return producer_; }
  uint64_t alignment() const { return alignment_; }
  const uint8_t* bytes() const { return base_; }
  size_t size() const { return size_; }
  bool is_mapped() const { return mapped_; }  // true when the bytes are an mmap of a file
  bool is_copy() const { return !owned_.empty(); }

  // Recomputes every tensor's checksum (what Verify::kFull does at open).
  Status verify_checksums() const;

  const detail::Graph& graph() const { return *graph_; }  // runtime-internal
  std::pmr::memory_resource* memory() const { return memory_; }  // runtime-internal

  // A Model lives in its memory resource (the heap or a Workspace); delete returns it there.
  static void* operator new(size_t size, std::pmr::memory_resource* memory);
  static void operator delete(void* p, std::pmr::memory_resource* memory);
  static void operator delete(void* p, size_t size);

 private:
  explicit Model(std::pmr::memory_resource* memory);
  static Result<std::shared_ptr<const Model>> finish_open(Model* model,
                                                          const OpenOptions& options);
  Status parse();
  Status widen_to_f32(const std::pmr::vector<size_t>& indices);

  std::pmr::memory_resource* memory_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::pmr::vector<uint8_t> owned_;  // only for copy_if_misaligned (over-allocated, aligned inside)
  int format_major_ = 0, format_minor_ = 0;
  uint64_t alignment_ = 64;
  std::pmr::string producer_;
  ArchInfo arch_;
  InputInfo input_;
  std::pmr::vector<TensorInfo> tensors_;
  std::pmr::unordered_map<std::string_view, size_t> index_;  // name -> tensors_ position
  detail::Graph* graph_ = nullptr;          // in memory_
  std::pmr::vector<const float*> f32_data_;  // per tensors_ entry: f32 view, or null
  std::pmr::vector<float> widened_;          // f16/bf16 tensors widened at open
};

// The format versions this build reads.
constexpr int kFormatMajor = 1;
constexpr int kFormatMinor = 2;  // 1.1: VGGConfig; F16/BF16 weights. 1.2: SelfTest (selftest.h)

}  // namespace tvlite
