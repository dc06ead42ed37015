#include "tvlite/model.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>

#include "build_vgg.h"
#include "checked_math.h"
#include "file_map.h"
#include "graph.h"
#include "memory.h"
#include "tvlite/schema/manifest.h"
#include "tvlite/schema/tvlite_generated.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tvlite {
namespace {

constexpr size_t kMinFileSize = 8;  // root offset + identifier
constexpr int kMaxRank = 8;

bool host_is_little_endian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

// IEEE binary16 -> binary32, exact for every value (subnormals, infinities, NaN payloads).
float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    int e = -1;
    do {
      man <<= 1;
      ++e;
    } while ((man & 0x400) == 0);
    bits = sign | (uint32_t(112 - e) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
// bfloat16 is the top half of a binary32.
float bf16_to_f32(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Lower-case hex of v, at least `width` digits (no stdio: bare-metal builds have none).
std::string hex(uint64_t v, int width) {
  std::string s;
  do {
    s.insert(s.begin(), "0123456789abcdef"[v & 15]);
    v >>= 4;
  } while (v != 0);
  if (int(s.size()) < width) s.insert(0, size_t(width) - s.size(), '0');
  return s;
}

Status invalid(std::string message) { return Status(Code::kInvalidFile, std::move(message)); }

std::string shape_string(const int64_t* shape, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
std::string shape_string(const Dims& shape) { return shape_string(shape.begin(), shape.size()); }

bool from_fb_dtype(fb::DType t, DType* out) {
  switch (t) {
    case fb::DType::F32: *out = DType::kF32; return true;
    case fb::DType::F16: *out = DType::kF16; return true;
    case fb::DType::BF16: *out = DType::kBF16; return true;
    case fb::DType::I64: *out = DType::kI64; return true;
  }
  return false;
}

}  // namespace

const char* to_string(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kI64: return "i64";
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kI64: return 8;
  }
  return 0;
}

Model::Model(std::pmr::memory_resource* memory)
    : memory_(memory),
      owned_(memory),
      producer_(memory),
      arch_(memory),
      input_(memory),
      tensors_(memory),
      index_(memory),
      f32_data_(memory),
      widened_(memory) {}

Model::~Model() {
  if (graph_ != nullptr) {
    graph_->~Graph();
    memory_->deallocate(graph_, sizeof(detail::Graph), alignof(detail::Graph));
  }
  if (mapped_) detail::unmap_file(base_, size_);
}

void* Model::operator new(size_t size, std::pmr::memory_resource* memory) {
  return detail::new_in(size, memory == std::pmr::new_delete_resource() ? nullptr : memory);
}
void Model::operator delete(void* p, std::pmr::memory_resource*) { detail::delete_in(p, sizeof(Model)); }
void Model::operator delete(void* p, size_t size) { detail::delete_in(p, size); }

namespace {
std::pmr::memory_resource* memory_of(const OpenOptions& options) {
  return options.workspace != nullptr ? static_cast<std::pmr::memory_resource*>(options.workspace)
                                      : std::pmr::new_delete_resource();
}
}  // namespace

Result<std::shared_ptr<const Model>> Model::open(const std::string& path,
                                                 const OpenOptions& options) {
  const void* data = nullptr;
  size_t size = 0;
  Status st = detail::map_file(path, &data, &size);
  if (!st) return st;
  std::pmr::memory_resource* memory = memory_of(options);
  return detail::catch_oom<Result<std::shared_ptr<const Model>>>("cannot open the model", [&]() -> Result<std::shared_ptr<const Model>> {
    Model* model = new (memory) Model(memory);
    model->base_ = static_cast<const uint8_t*>(data);
    model->size_ = size;
    model->mapped_ = true;
    return finish_open(model, options);
  });
}

Result<std::shared_ptr<const Model>> Model::from_buffer(const void* data, size_t size,
                                                        const OpenOptions& options) {
  if (data == nullptr && size != 0) return Status(Code::kInvalidArgument, "null model buffer");
  std::pmr::memory_resource* memory = memory_of(options);
  return detail::catch_oom<Result<std::shared_ptr<const Model>>>("cannot open the model", [&]() -> Result<std::shared_ptr<const Model>> {
  std::unique_ptr<Model> model(new (memory) Model(memory));
  const uintptr_t addr = reinterpret_cast<uintptr_t>(data);
  constexpr uintptr_t kAlign = 64;
  if (addr % kAlign != 0) {
    if (!options.copy_if_misaligned) {
      return Status(Code::kMisaligned,
                    "model buffer at address 0x" + hex(addr, 1) + " is not 64-byte aligned (" + std::to_string(addr % kAlign) +
                        " bytes past); align it or set copy_if_misaligned");
    }
    // A failed copy is an error value like any other: no exception may leave the runtime.
    if (size > SIZE_MAX - kAlign) {
      return Status(Code::kInvalidArgument, "model buffer size " + std::to_string(size) +
                                                " leaves no room to align a copy");
    }
    const Status copied = detail::catch_oom<Status>("", [&] {
      model->owned_.resize(size + kAlign);
      return Status::ok();
    });
    if (!copied) {
      return Status(Code::kOutOfMemory, "cannot allocate an aligned copy of the " +
                                            std::to_string(size) + "-byte model buffer");
    }
    uint8_t* p = model->owned_.data();
    p += (kAlign - reinterpret_cast<uintptr_t>(p) % kAlign) % kAlign;
    std::memcpy(p, data, size);
    model->base_ = p;
  } else {
    model->base_ = static_cast<const uint8_t*>(data);
  }
  model->size_ = size;
  return finish_open(model.release(), options);
  });
}

// Takes ownership of `model` (in its memory resource; so is the shared_ptr's control block).
Result<std::shared_ptr<const Model>> Model::finish_open(Model* model, const OpenOptions& options) {
  std::shared_ptr<const Model> shared(model, [](const Model* m) { delete m; },
                                      std::pmr::polymorphic_allocator<char>(model->memory_));
  Status st = model->parse();
  if (!st) return st;
  if (options.verify == Verify::kFull) {
    st = model->verify_checksums();
    if (!st) return st;
  }
  return shared;
}

// Structural verification, in the order that keeps every later read in bounds.
Status Model::parse() {
  if (!host_is_little_endian()) {
    return Status(Code::kUnsupported, ".tvl files are little-endian; this build is big-endian");
  }
  if (size_ < kMinFileSize) {
    return invalid("file is " + std::to_string(size_) + " bytes, too small to be a .tvl file");
  }
  if (!flatbuffers::BufferHasIdentifier(base_, fb::ModelIdentifier())) {
    char id[5] = {0};
    std::memcpy(id, base_ + 4, 4);
    // Only the four identifier bytes: id[4] is the terminator and must stay NUL.
    for (int i = 0; i < 4; ++i) id[i] = (id[i] >= 32 && id[i] < 127) ? id[i] : '?';
    return invalid(std::string("not a tvlite model: file identifier is '") + id +
                   "', expected 'TVLT'");
  }
  // The FlatBuffer occupies the front of the file; FlatBuffers caps a buffer below 2 GiB, while
  // the tensor data behind it may be larger (64-bit offsets, checked below).
  const size_t fb_window = std::min<size_t>(size_, FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(base_, fb_window, /*max_depth=*/64, /*max_tables=*/1u << 20);
  if (!fb::VerifyModelBuffer(verifier)) {
    return invalid("FlatBuffers verification failed: the header is truncated or corrupt");
  }
  const fb::Model* m = fb::GetModel(base_);
  format_major_ = m->format_major();
  format_minor_ = m->format_minor();
  if (format_major_ != kFormatMajor) {
    return Status(Code::kVersionMismatch,
                  "file format version " + std::to_string(format_major_) + "." +
                      std::to_string(format_minor_) + " is not readable by this build, which reads " +
                      std::to_string(kFormatMajor) + ".x (up to " + std::to_string(kFormatMajor) +
                      "." + std::to_string(kFormatMinor) + " fully)");
  }
  if (m->producer()) producer_.assign(m->producer()->c_str(), m->producer()->size());
  alignment_ = m->alignment();
  if (alignment_ < 64 || (alignment_ & (alignment_ - 1)) != 0 || alignment_ > 65536) {
    return invalid("alignment " + std::to_string(alignment_) + " is not a power of two in [64, 65536]");
  }
  const uint64_t data_offset = m->data_offset();
  if (data_offset % alignment_ != 0 || data_offset > size_) {
    return invalid("data region offset " + std::to_string(data_offset) +
                   " is misaligned or past the end of the file (" + std::to_string(size_) + " bytes)");
  }

  uint64_t data_end = 0;
  if (detail::add_overflows(data_offset, m->data_length(), &data_end) || data_end > size_) {
    return invalid("file is truncated: its header describes " +
                   (data_end < data_offset ? std::string("an overflowing size")
                                           : std::to_string(data_end) + " bytes") +
                   ", only " + std::to_string(size_) + " are present");
  }

  // Tensors: names unique, rank and dims sane, count*size without overflow, bytes in the file.
  const auto* fts = m->tensors();
  tensors_.reserve(fts->size());
  for (flatbuffers::uoffset_t i = 0; i < fts->size(); ++i) {
    const fb::Tensor* ft = fts->Get(i);
    TensorInfo t;
    t.name = std::string_view(ft->name()->c_str(), ft->name()->size());
    // Built only for a message: the success path allocates nothing per tensor.
    const auto label = [&t] { return "tensor '" + std::string(t.name) + "'"; };
    if (t.name.empty()) return invalid("tensor #" + std::to_string(i) + " has an empty name");
    if (!index_.emplace(t.name, tensors_.size()).second) return invalid(label() + " appears twice");
    if (!from_fb_dtype(ft->dtype(), &t.dtype)) {
      return Status(Code::kUnsupported, label() + " has unknown dtype code " +
                                            std::to_string(int(ft->dtype())));
    }
    uint64_t numel = 1;
    if (ft->shape()) {
      if (ft->shape()->size() > kMaxRank) {
        return invalid(label() + " has rank " + std::to_string(ft->shape()->size()) +
                       " (at most " + std::to_string(kMaxRank) + ")");
      }
      // [long] elements may sit at 4 mod 8 (the verifier checks only the length's alignment):
      // read each one by memcpy (found by fuzzing under UBSan).
      const uint8_t* dims = reinterpret_cast<const uint8_t*>(ft->shape()->Data());
      for (flatbuffers::uoffset_t k = 0; k < ft->shape()->size(); ++k) {
        int64_t d;
        std::memcpy(&d, dims + k * sizeof(int64_t), sizeof d);
        if (d < 0) return invalid(label() + " has a negative dimension " + std::to_string(d));
        t.shape.push_back(d);  // rank <= kMaxRank == Dims::kMaxRank, checked above
        if (detail::mul_overflows(numel, uint64_t(d), &numel)) {
          return invalid(label() + " shape " + shape_string(t.shape) + "... overflows");
        }
      }
    }
    uint64_t bytes = 0;
    if (detail::mul_overflows(numel, dtype_size(t.dtype), &bytes)) {
      return invalid(label() + " shape " + shape_string(t.shape) + " overflows its byte size");
    }
    t.numel = int64_t(numel);
    t.offset = ft->offset();
    t.length = ft->length();
    t.checksum = ft->checksum();
    if (t.length != bytes) {
      return invalid(label() + " of shape " + shape_string(t.shape) + " and dtype " +
                     to_string(t.dtype) + " needs " + std::to_string(bytes) +
                     " bytes but declares " + std::to_string(t.length));
    }
    uint64_t end = 0;
    if (detail::add_overflows(t.offset, t.length, &end) || end > data_end ||
        t.offset < data_offset) {
      return invalid(label() + " spans bytes [" + std::to_string(t.offset) + ", " +
                     (end < t.offset ? std::string("overflow") : std::to_string(end)) +
                     "), outside the data region [" + std::to_string(data_offset) + ", " +
                     std::to_string(data_end) + ")");
    }
    if (t.offset % alignment_ != 0) {
      return Status(Code::kMisaligned, label() + " offset " + std::to_string(t.offset) +
                                           " is not a multiple of " + std::to_string(alignment_));
    }
    t.data = base_ + t.offset;
    tensors_.push_back(t);
  }

  // Architecture and input description.
  const fb::Architecture* a = m->arch();
  if (a->name()) arch_.name.assign(a->name()->c_str(), a->name()->size());
  // What the manifest is checked against: arrays borrowed from arch_ (no allocation).
  schema::ArchView cfg;
  if (a->family() == fb::Family::ResNet) {
    const fb::ResNetConfig* r = a->resnet();
    if (!r || !r->layers()) return invalid("ResNet architecture without its configuration");
    if (r->layers()->size() != 4) return invalid("ResNet configuration needs 4 stages");
    cfg.family = schema::ArchFamily::kResNet;
    cfg.block = r->block() == fb::BlockType::Bottleneck ? schema::ResNetBlock::kBottleneck
                                                        : schema::ResNetBlock::kBasic;
    arch_.layers.reserve(4);
    for (int n : *r->layers()) {
      if (n < 1 || n > 1024) return invalid("ResNet stage with " + std::to_string(n) + " blocks");
      arch_.layers.push_back(n);
    }
    cfg.groups = r->groups();
    cfg.width_per_group = r->width_per_group();
    cfg.num_classes = r->num_classes();
    arch_.family = "resnet";
    arch_.block = r->block() == fb::BlockType::Bottleneck ? "bottleneck" : "basic";
    if (r->block() != fb::BlockType::Basic && r->block() != fb::BlockType::Bottleneck) {
      return Status(Code::kUnsupported, "unknown ResNet block type");
    }
  } else if (a->family() == fb::Family::AlexNet) {
    if (!a->alexnet()) return invalid("AlexNet architecture without its configuration");
    cfg.family = schema::ArchFamily::kAlexNet;
    cfg.num_classes = a->alexnet()->num_classes();
    arch_.family = "alexnet";
  } else if (a->family() == fb::Family::VGG) {
    const fb::VGGConfig* v = a->vgg();
    if (!v || !v->layers()) return invalid("VGG architecture without its configuration");
    if (v->layers()->size() > 64) return invalid("VGG configuration with more than 64 layers");
    int convs = 0;
    arch_.vgg_layers.reserve(v->layers()->size());
    for (int n : *v->layers()) {
      if (n < 0 || n > 65536) return invalid("VGG layer with " + std::to_string(n) + " channels");
      convs += n != schema::kVGGMaxPool;
      arch_.vgg_layers.push_back(n);
    }
    if (convs == 0) return invalid("VGG configuration without convolutions");
    cfg.family = schema::ArchFamily::kVGG;
    cfg.batch_norm = v->batch_norm();
    cfg.num_classes = v->num_classes();
    arch_.family = "vgg";
    arch_.batch_norm = cfg.batch_norm;
  } else {
    return Status(Code::kUnsupported, "architecture family code " +
                                          std::to_string(int(a->family())) +
                                          " is not supported by this build (resnet, alexnet, vgg)");
  }
  if (cfg.groups < 1 || cfg.groups > 4096 || cfg.width_per_group < 1 ||
      cfg.width_per_group > 65536) {
    return invalid("ResNet groups/width_per_group out of range");
  }
  if (cfg.family == schema::ArchFamily::kResNet &&
      schema::resnet_bottleneck_width(cfg, 512) > (1 << 16)) {
    return invalid("ResNet groups x width_per_group gives over 65536 channels");
  }
  if (cfg.num_classes < 1 || cfg.num_classes > (1 << 24)) {
    return invalid("num_classes " + std::to_string(cfg.num_classes) + " out of range");
  }
  cfg.layers = arch_.layers.data();
  cfg.num_layers = int(arch_.layers.size());
  cfg.vgg_layers = arch_.vgg_layers.data();
  cfg.num_vgg_layers = int(arch_.vgg_layers.size());
  arch_.groups = cfg.groups;
  arch_.width_per_group = cfg.width_per_group;
  arch_.num_classes = cfg.num_classes;

  if (const fb::InputSpec* in = m->input()) {
    input_.channels = in->channels();
    input_.height = in->height();
    input_.width = in->width();
    input_.resize = in->resize();
    if (in->mean()) input_.mean.assign(in->mean()->begin(), in->mean()->end());
    if (in->std()) input_.std.assign(in->std()->begin(), in->std()->end());
    if (in->labels()) {
      input_.labels.reserve(in->labels()->size());
      for (const auto* s : *in->labels()) {
        input_.labels.push_back(s ? std::string_view(s->c_str(), s->size()) : std::string_view());
      }
    }
  }
  if (input_.channels != 3) {
    return Status(Code::kUnsupported, "models with " + std::to_string(input_.channels) +
                                          " input channels are not supported (3)");
  }
  if (input_.height < 1 || input_.width < 1 || input_.height > 16384 || input_.width > 16384 ||
      input_.resize < 1 || input_.resize > 16384) {
    return invalid("input size out of range");
  }
  if (input_.mean.size() != 3 || input_.std.size() != 3) {
    input_.mean = {0.485f, 0.456f, 0.406f};
    input_.std = {0.229f, 0.224f, 0.225f};
  }
  for (float s : input_.std) {
    if (!(s > 0.0f)) return invalid("input std must be positive");
  }

  // Every tensor the architecture needs, with its shape, in a floating dtype (the kernels
  // compute in f32: f16/bf16 entries are widened below). One walk over the manifest, names in a
  // stack buffer: no allocation unless there is something to report.
  struct Check {
    Model* model;
    std::pmr::vector<uint8_t> seen;  // per tensor: the manifest lists it
    std::pmr::vector<size_t> to_widen;
    std::string missing, mismatched;
    Status unsupported;
  } check{this, std::pmr::vector<uint8_t>(tensors_.size(), 0, memory_),
          std::pmr::vector<size_t>(memory_), {}, {}, {}};
  schema::visit_manifest(
      cfg,
      [](void* ctx, std::string_view name, const int64_t* shape, int rank, schema::EntryKind kind) {
        Check& c = *static_cast<Check*>(ctx);
        const TensorInfo* t = c.model->find(name);
        if (t != nullptr) c.seen[size_t(t - c.model->tensors_.data())] = 1;
        if (kind == schema::EntryKind::kCounter) return true;  // optional, unused at inference
        if (t == nullptr) {
          c.missing += (c.missing.empty() ? "" : ", ") + std::string(name);
        } else if (!t->shape.equals(shape, size_t(rank))) {
          c.mismatched += (c.mismatched.empty() ? "" : "; ") + std::string(name) + " is " +
                          shape_string(t->shape) + ", " + std::string(c.model->arch_.name) +
                          " needs " + shape_string(shape, size_t(rank));
        } else if (t->dtype == DType::kF16 || t->dtype == DType::kBF16) {
          c.to_widen.push_back(size_t(t - c.model->tensors_.data()));
        } else if (t->dtype != DType::kF32 && c.unsupported) {
          c.unsupported = Status(Code::kUnsupported, "tensor '" + std::string(name) +
                                                         "' has dtype " + to_string(t->dtype) +
                                                         "; a floating dtype is needed");
        }
        return true;
      },
      &check);
  // A name the architecture does not have: a damaged name (the header carries no checksum) or a
  // file written for something else. Refused, as load_state_dict(strict=True) would.
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (check.seen[i]) continue;
    std::string printable;
    for (char c : tensors_[i].name) printable += (c >= 32 && c < 127) ? c : '?';
    return invalid("unexpected tensor '" + printable + "': " + std::string(arch_.name) +
                   " has no such entry");
  }
  if (!check.unsupported) return check.unsupported;
  if (!check.missing.empty()) {
    return invalid("missing tensors for " + std::string(arch_.name) + ": " + check.missing);
  }
  if (!check.mismatched.empty()) return invalid("wrong tensor shapes: " + check.mismatched);
  const std::pmr::vector<size_t>& to_widen = check.to_widen;
  const Status widened = widen_to_f32(to_widen);
  if (!widened) return widened;

  void* g = memory_->allocate(sizeof(detail::Graph), alignof(detail::Graph));
  graph_ = new (g) detail::Graph(detail::Graph::allocator_type(memory_));
  switch (cfg.family) {
    case schema::ArchFamily::kAlexNet:
      return detail::build_alexnet(*this, graph_);
    case schema::ArchFamily::kVGG:
      return detail::build_vgg(*this, graph_);
    case schema::ArchFamily::kResNet:
      break;
  }
  return detail::build_resnet(*this, graph_);
}

// f16/bf16 weights are widened once, here, into one Model-owned buffer: such a model is not
// zero-copy (f32 files are). Widening is exact; the file's bytes (and checksums) stay untouched.
Status Model::widen_to_f32(const std::pmr::vector<size_t>& indices) {
  f32_data_.assign(tensors_.size(), nullptr);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (tensors_[i].dtype == DType::kF32) f32_data_[i] = static_cast<const float*>(tensors_[i].data);
  }
  uint64_t total = 0;
  for (size_t i : indices) {
    if (detail::add_overflows(total, uint64_t(tensors_[i].numel), &total)) {
      return invalid("f16/bf16 tensors overflow when counted");
    }
  }
  if (total == 0) return Status::ok();
  const Status allocated = detail::catch_oom<Status>("", [&] {
    widened_.resize(size_t(total));
    return Status::ok();
  });
  if (!allocated) {
    return Status(Code::kOutOfMemory, "cannot allocate " + std::to_string(total * 4) +
                                          " bytes to widen the f16/bf16 weights to f32");
  }
  float* out = widened_.data();
  for (size_t i : indices) {
    const TensorInfo& t = tensors_[i];
    const uint8_t* in = static_cast<const uint8_t*>(t.data);
    for (int64_t k = 0; k < t.numel; ++k) {
      uint16_t h;
      std::memcpy(&h, in + 2 * k, 2);
      out[k] = t.dtype == DType::kF16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
    f32_data_[i] = out;
    out += t.numel;
  }
  return Status::ok();
}

const float* Model::f32_data(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() || it->second >= f32_data_.size() ? nullptr : f32_data_[it->second];
}

const TensorInfo* Model::find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status Model::verify_checksums() const {
  for (const TensorInfo& t : tensors_) {
    const uint64_t h = XXH3_64bits(t.data, size_t(t.length));
    if (h != t.checksum) {
      return Status(Code::kChecksumMismatch, "tensor '" + std::string(t.name) + "' checksum is " +
                                                 hex(h, 16) + ", stored " + hex(t.checksum, 16));
    }
  }
  return Status::ok();
}

}  // namespace tvlite
