// The .tvl writer. Byte layout: schema/README.md.
#include "tvlite/exporter/write_tvl.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <fcntl.h>
#include <flatbuffers/flatbuffers.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tvlite/schema/tvlite_generated.h"

#ifndef TVLITE_VERSION
#define TVLITE_VERSION "0.0.0"
#endif
#ifndef TVLITE_LIBTORCH_VERSION
#define TVLITE_LIBTORCH_VERSION "unknown"
#endif

namespace tvlite::exporter {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .tvl data is written as in memory");

constexpr uint64_t kAlignment = 64;

uint64_t align_up(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// A tensor's bytes as the .tvl stores them: borrowed when already F32/I64, else converted.
struct Payload {
  fb::DType dtype = fb::DType::F32;
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::vector<uint8_t> owned;
  uint64_t checksum = 0;
  uint64_t offset = 0;
};

template <typename From, typename To, typename Convert>
void convert(const Tensor& t, Payload* p, Convert c) {
  const size_t n = t.data.size() / sizeof(From);
  p->owned.resize(n * sizeof(To));
  for (size_t i = 0; i < n; ++i) {
    From f;
    std::memcpy(&f, t.data.data() + i * sizeof(From), sizeof(From));
    To v = c(f);
    std::memcpy(p->owned.data() + i * sizeof(To), &v, sizeof(To));
  }
  p->data = p->owned.data();
  p->size = p->owned.size();
}

Payload payload(const Tensor& t, DTypePolicy policy) {
  Payload p;
  const bool keep = policy == DTypePolicy::kKeep;
  switch (t.dtype) {
    case ElementType::kF32:
      p.data = t.data.data();
      p.size = t.data.size();
      break;
    case ElementType::kF16:  // kept as 2-byte halves, or widened exactly (TRAPS 5)
      if (keep) {
        p.dtype = fb::DType::F16;
        p.data = t.data.data();
        p.size = t.data.size();
      } else {
        convert<c10::Half, float>(t, &p, [](c10::Half h) { return float(h); });
      }
      break;
    case ElementType::kBF16:
      if (keep) {
        p.dtype = fb::DType::BF16;
        p.data = t.data.data();
        p.size = t.data.size();
      } else {
        convert<c10::BFloat16, float>(t, &p, [](c10::BFloat16 h) { return float(h); });
      }
      break;
    case ElementType::kF64:
      convert<double, float>(t, &p, [](double d) { return float(d); });
      break;
    case ElementType::kI64:
      p.dtype = fb::DType::I64;
      p.data = t.data.data();
      p.size = t.data.size();
      break;
    case ElementType::kI32:
      p.dtype = fb::DType::I64;
      convert<int32_t, int64_t>(t, &p, [](int32_t v) { return int64_t(v); });
      break;
    case ElementType::kI16:
      p.dtype = fb::DType::I64;
      convert<int16_t, int64_t>(t, &p, [](int16_t v) { return int64_t(v); });
      break;
    case ElementType::kI8:
      p.dtype = fb::DType::I64;
      convert<int8_t, int64_t>(t, &p, [](int8_t v) { return int64_t(v); });
      break;
    case ElementType::kU8:
      p.dtype = fb::DType::I64;
      convert<uint8_t, int64_t>(t, &p, [](uint8_t v) { return int64_t(v); });
      break;
    case ElementType::kBool:
      throw ExportError("'" + t.name + "' is a bool tensor, which a .tvl cannot hold");
  }
  p.checksum = XXH3_64bits(p.data, p.size);
  return p;
}

// The Model FlatBuffer. With ForceDefaults every scalar is stored whatever its value, so the
// size depends only on names, shapes and counts: the data offsets can be filled in afterwards.
flatbuffers::DetachedBuffer build_header(const schema::ArchConfig& arch, const InputOptions& in,
                                         const StateDict& sd, const std::vector<Payload>& p,
                                         const SelfTest* selftest, uint64_t data_offset,
                                         uint64_t data_length) {
  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  fbb.ForceDefaults(true);
  auto producer = fbb.CreateString(producer_string());
  auto name = fbb.CreateString(arch.name);
  flatbuffers::Offset<fb::ResNetConfig> resnet = 0;
  flatbuffers::Offset<fb::AlexNetConfig> alexnet = 0;
  flatbuffers::Offset<fb::VGGConfig> vgg = 0;
  fb::Family family = fb::Family::Unknown;
  if (arch.family == schema::ArchFamily::kResNet) {
    family = fb::Family::ResNet;
    auto layers = fbb.CreateVector(arch.layers);
    resnet = fb::CreateResNetConfig(fbb,
                                    arch.block == schema::ResNetBlock::kBottleneck
                                        ? fb::BlockType::Bottleneck
                                        : fb::BlockType::Basic,
                                    layers, arch.groups, arch.width_per_group, arch.num_classes);
  } else if (arch.family == schema::ArchFamily::kVGG) {
    family = fb::Family::VGG;
    auto layers = fbb.CreateVector(arch.vgg_layers);
    vgg = fb::CreateVGGConfig(fbb, layers, arch.batch_norm, arch.num_classes);
  } else {
    family = fb::Family::AlexNet;
    alexnet = fb::CreateAlexNetConfig(fbb, arch.num_classes);
  }
  auto fb_arch = fb::CreateArchitecture(fbb, name, family, resnet, alexnet, vgg);
  auto mean = fbb.CreateVector(in.mean, 3);
  auto std = fbb.CreateVector(in.std, 3);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> labels = 0;
  if (!in.labels.empty()) labels = fbb.CreateVectorOfStrings(in.labels);
  auto input = fb::CreateInputSpec(fbb, 3, in.height, in.width, in.resize, mean, std, labels);
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (size_t i = 0; i < sd.size(); ++i) {
    auto tname = fbb.CreateString(sd[i].name);
    auto shape = fbb.CreateVector(sd[i].shape);
    tensors.push_back(
        fb::CreateTensor(fbb, tname, p[i].dtype, shape, p[i].offset, p[i].size, p[i].checksum));
  }
  auto tvec = fbb.CreateVector(tensors);
  flatbuffers::Offset<fb::SelfTest> st = 0;
  if (selftest) {
    st = fb::CreateSelfTest(fbb, selftest->batch, selftest->channels, selftest->height,
                            selftest->width, fbb.CreateVector(selftest->input),
                            fbb.CreateVector(selftest->logits), selftest->tolerance,
                            selftest->seed, fbb.CreateString(selftest->generator));
  }
  auto model = fb::CreateModel(fbb, 1, 2, producer, fb_arch, input, tvec, data_offset, data_length,
                               uint32_t(kAlignment), st);
  fb::FinishModelBuffer(fbb, model);
  return fbb.Release();
}

std::string errno_text() { return std::strerror(errno); }

// A temporary file in the output's folder that becomes the output only on commit().
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path) {
    const size_t slash = path.rfind('/');
    dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    base_ = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base_.empty()) throw ExportError("output path " + path + " names a folder, not a file");
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EROFS)
      throw ExportError("cannot write into " + dir_ + ": " + errno_text());
    // No O_TMPFILE on this filesystem: a named temporary instead.
    tmp_ = dir_ + "/." + base_ + ".tmp-XXXXXX";
    fd_ = ::mkstemp(tmp_.data());
    if (fd_ < 0) {
      tmp_.clear();
      throw ExportError("cannot create a temporary file in " + dir_ + ": " + errno_text());
    }
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
  }
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }

  void write(const void* data, size_t n) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw ExportError("cannot write " + path_ + ": " + errno_text());
      p += w;
      n -= size_t(w);
    }
  }
  void pad_to(uint64_t pos, uint64_t* at) {
    static const uint8_t kZeros[kAlignment] = {};
    if (pos < *at || pos - *at >= kAlignment) throw ExportError("internal: bad padding");
    write(kZeros, size_t(pos - *at));
    *at = pos;
  }

  void commit() {
    if (::fsync(fd_) != 0) throw ExportError("cannot flush " + path_ + ": " + errno_text());
    if (tmp_.empty()) {  // O_TMPFILE: give the anonymous file a unique name first
      const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
      for (int attempt = 0;; ++attempt) {
        std::string name = dir_ + "/." + base_ + ".tmp-" + std::to_string(::getpid()) + "-" +
                           std::to_string(attempt);
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
          tmp_ = name;
          break;
        }
        if (errno != EEXIST || attempt > 100)
          throw ExportError("cannot create a temporary file in " + dir_ + ": " + errno_text());
      }
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw ExportError("cannot replace " + path_ + ": " + errno_text());
    tmp_.clear();
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);  // best effort: make the rename durable
      ::close(dfd);
    }
  }

 private:
  std::string path_, dir_, base_, tmp_;
  int fd_ = -1;
};

}  // namespace

std::string producer_string() {
  return std::string("tvlite-export ") + TVLITE_VERSION + " (libtorch " TVLITE_LIBTORCH_VERSION ")";
}

void write_tvl(const std::string& path, const schema::ArchConfig& arch, const InputOptions& input,
               const StateDict& sd, DTypePolicy policy, const SelfTest* selftest) {
  std::vector<Payload> p;
  p.reserve(sd.size());
  for (const Tensor& t : sd) p.push_back(payload(t, policy));
  // Pass 1 learns the header size S; pass 2 fills in the offsets (same size, asserted).
  const size_t header_size = build_header(arch, input, sd, p, selftest, 0, 0).size();
  const uint64_t data_offset = align_up(header_size);
  uint64_t end = data_offset;
  for (Payload& q : p) {
    q.offset = end;
    end = align_up(q.offset + q.size);
  }
  flatbuffers::DetachedBuffer header =
      build_header(arch, input, sd, p, selftest, data_offset, end - data_offset);
  if (header.size() != header_size)
    throw ExportError("internal: header size changed between passes");

  AtomicFile out(path);
  uint64_t at = 0;
  out.write(header.data(), header.size());
  at = header.size();
  out.pad_to(data_offset, &at);
  for (const Payload& q : p) {
    out.write(q.data, q.size);
    at += q.size;
    out.pad_to(align_up(at), &at);
  }
  out.commit();
}

}  // namespace tvlite::exporter
