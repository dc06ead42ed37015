#include "runtime/tvl_builder.h"

#include <cmath>
#include <cstring>
#include <random>

#include "tvlite/schema/tvlite_generated.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tvlite::test {
namespace {

uint64_t align64(uint64_t x) { return (x + 63) / 64 * 64; }

flatbuffers::Offset<fb::Model> build_root(flatbuffers::FlatBufferBuilder& fbb, const FileSpec& s,
                                          const std::vector<uint64_t>& offsets,
                                          uint64_t data_offset, uint64_t data_length) {
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const TensorSpec& t = s.tensors[i];
    const uint64_t length = t.length >= 0 ? uint64_t(t.length) : t.bytes.size();
    const uint64_t checksum =
        t.checksum >= 0 ? uint64_t(t.checksum) : XXH3_64bits(t.bytes.data(), t.bytes.size());
    tensors.push_back(fb::CreateTensor(fbb, fbb.CreateString(t.name), fb::DType(t.dtype),
                                       fbb.CreateVector(t.shape), offsets[i], length, checksum));
  }
  const auto tensor_vec = fbb.CreateVector(tensors);
  flatbuffers::Offset<fb::ResNetConfig> resnet = 0;
  flatbuffers::Offset<fb::AlexNetConfig> alexnet = 0;
  if (s.arch.family == schema::ArchFamily::kResNet) {
    resnet = fb::CreateResNetConfig(
        fbb,
        s.arch.block == schema::ResNetBlock::kBottleneck ? fb::BlockType::Bottleneck
                                                         : fb::BlockType::Basic,
        fbb.CreateVector(s.arch.layers), s.arch.groups, s.arch.width_per_group,
        s.arch.num_classes);
  } else {
    alexnet = fb::CreateAlexNetConfig(fbb, s.arch.num_classes);
  }
  const auto arch = fb::CreateArchitecture(fbb, fbb.CreateString(s.arch.name),
                                           fb::Family(s.family), resnet, alexnet);
  const std::vector<float> mean = {0.485f, 0.456f, 0.406f}, stdv = {0.229f, 0.224f, 0.225f};
  const auto input = fb::CreateInputSpec(fbb, 3, 224, 224, 256, fbb.CreateVector(mean),
                                         fbb.CreateVector(stdv));
  const auto producer = fbb.CreateString("tvlite tests");
  flatbuffers::Offset<fb::SelfTest> selftest = 0;
  if (s.selftest.present) {
    const SelfTestSpec& st = s.selftest;
    selftest = fb::CreateSelfTest(fbb, st.batch, st.channels, st.height, st.width,
                                  fbb.CreateVector(st.input), fbb.CreateVector(st.logits),
                                  st.tolerance, 7, fbb.CreateString("tvlite tests"));
  }
  fb::ModelBuilder b(fbb);
  b.add_format_major(uint16_t(s.format_major));
  b.add_format_minor(uint16_t(s.format_minor));
  b.add_producer(producer);
  b.add_arch(arch);
  b.add_input(input);
  b.add_tensors(tensor_vec);
  b.add_data_offset(data_offset);
  b.add_data_length(data_length);
  b.add_alignment(s.alignment);
  if (s.selftest.present) b.add_selftest(selftest);
  if (s.extra_unknown_field) {
    // A field appended by a newer minor version: vtable slot 20, far past the known ones.
    fbb.AddElement<uint64_t>(flatbuffers::FieldIndexToOffset(20), 0x1234567890ull, 0);
  }
  return b.Finish();
}

}  // namespace

FileSpec random_model(const schema::ArchConfig& arch, uint32_t seed) {
  FileSpec spec;
  spec.arch = arch;
  spec.family = arch.family == schema::ArchFamily::kAlexNet ? int(fb::Family::AlexNet)
                                                            : int(fb::Family::ResNet);
  std::mt19937 rng(seed);
  for (const schema::ManifestEntry& e : schema::arch_manifest(arch)) {
    TensorSpec t;
    t.name = e.name;
    t.shape = e.shape;
    int64_t n = 1;
    for (int64_t d : e.shape) n *= d;
    if (e.kind == schema::EntryKind::kCounter) {
      t.dtype = int(fb::DType::I64);
      t.bytes.resize(8);
      const int64_t v = 42;
      std::memcpy(t.bytes.data(), &v, 8);
    } else {
      t.dtype = int(fb::DType::F32);
      std::vector<float> v(static_cast<size_t>(n));
      const bool stat = e.name.find("running_var") != std::string::npos;
      const bool bn = e.shape.size() == 1;
      const int64_t fan_in = e.shape.size() > 1 ? n / e.shape[0] : 1;
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (float& x : v) {
        if (stat) {
          x = 0.75f + 0.5f * u(rng);
        } else if (bn) {
          x = 0.5f * u(rng) + (e.name.find(".weight") != std::string::npos ? 1.0f : 0.0f);
        } else {
          x = u(rng) * std::sqrt(3.0f / float(fan_in));
        }
      }
      t.bytes.resize(v.size() * 4);
      std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    }
    spec.tensors.push_back(std::move(t));
  }
  return spec;
}

std::vector<uint8_t> build_tvl(const FileSpec& spec) {
  // Pass 1 learns the FlatBuffer's size (ForceDefaults keeps it independent of the values).
  std::vector<uint64_t> offsets(spec.tensors.size(), 0);
  flatbuffers::FlatBufferBuilder probe;
  probe.ForceDefaults(true);
  probe.Finish(build_root(probe, spec, offsets, 0, 0), fb::ModelIdentifier());
  const uint64_t data_offset =
      spec.data_offset >= 0 ? uint64_t(spec.data_offset) : align64(probe.GetSize());
  uint64_t end = data_offset;
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    const TensorSpec& t = spec.tensors[i];
    if (t.offset >= 0) {  // an override is written as given; its bytes are not placed
      offsets[i] = uint64_t(t.offset);
      continue;
    }
    offsets[i] = end;
    end = align64(offsets[i] + t.bytes.size());
  }
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  fbb.Finish(build_root(fbb, spec, offsets, data_offset, end - data_offset), fb::ModelIdentifier());
  std::vector<uint8_t> file(std::max<uint64_t>(end, fbb.GetSize()), 0);
  std::memcpy(file.data(), fbb.GetBufferPointer(), fbb.GetSize());
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    const TensorSpec& t = spec.tensors[i];
    if (t.offset < 0 && !t.bytes.empty()) {
      std::memcpy(file.data() + offsets[i], t.bytes.data(), t.bytes.size());
    }
  }
  return file;
}

AlignedBytes::AlignedBytes(const std::vector<uint8_t>& bytes, size_t misalign)
    : storage_(bytes.size() + 128), size_(bytes.size()) {
  uint8_t* p = storage_.data();
  p += (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
  data_ = p + misalign;
  if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
}

}  // namespace tvlite::test
