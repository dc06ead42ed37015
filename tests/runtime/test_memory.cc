// Running out of memory is an error value, never a crash: absurd input shapes are refused by the
// planner before any allocation, arenas past the cap are refused without trying, an allocation
// the machine cannot give is kOutOfMemory, and headers declaring huge counts or sizes are refused
// before anything proportional to them is allocated. (Lying offsets, overflowing offset+length
// and element counts, and truncation are covered in test_open.cc.)
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/schema/tvlite_generated.h"
#include "tvlite/session.h"

// The sanitizers' operator new aborts when it cannot allocate instead of throwing.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TVLITE_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TVLITE_TEST_SANITIZED 1
#endif
#endif
#ifndef TVLITE_TEST_SANITIZED
#define TVLITE_TEST_SANITIZED 0
#endif

using tvlite::Code;
using tvlite::Model;
using tvlite::Shape4;
using tvlite::test::AlignedBytes;
using tvlite::test::build_tvl;
using tvlite::test::FileSpec;

namespace {

tvlite::schema::ArchConfig resnet18_10() {
  tvlite::schema::ArchConfig a;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", 10, &a));
  return a;
}

const FileSpec& valid_spec() {
  static const FileSpec spec = tvlite::test::random_model(resnet18_10(), 3);
  return spec;
}

struct Opened {
  AlignedBytes bytes;
  tvlite::Result<std::shared_ptr<const Model>> model;
  explicit Opened(const std::vector<uint8_t>& b)
      : bytes(b), model(Model::from_buffer(bytes.data(), bytes.size())) {}
  Code code() const { return model ? Code::kOk : model.status().code(); }
  std::string message() const { return model ? "" : model.status().message(); }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Overwrites the element count of the FlatBuffers vector at `vec` (its uint32 length prefix).
void set_vector_length(std::vector<uint8_t>* file, const void* vec, uint32_t length) {
  const size_t at = size_t(static_cast<const uint8_t*>(vec) - file->data());
  std::memcpy(file->data() + at, &length, 4);
}

}  // namespace

TEST_CASE("a huge input shape is refused by the planner, before any allocation") {
  const Opened o(build_tvl(valid_spec()));
  REQUIRE(o.model);
  auto s = tvlite::Session::create(*o.model);
  REQUIRE(s);
  // 60000 x 3 x 4096 x 4096: conv1 alone would be 1.6e13 floats (64 TB).
  const Shape4 huge{60000, 3, 4096, 4096};
  tvlite::Status st = (*s)->prepare(huge);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK_MESSAGE(contains(st.message(), "too large"), st.message());
  CHECK((*s)->arena_bytes() == 0);
  // run() refuses the same way without reading the (tiny) buffers it was given.
  std::vector<float> in(16), out(16);
  CHECK((*s)->run(huge, in.data(), out.data()).code() == Code::kInvalidArgument);
  // Beyond the planner's input limits (n <= 65536, h, w <= 16384).
  CHECK((*s)->prepare({int64_t(1) << 40, 3, 64, 64}).code() == Code::kInvalidArgument);
  CHECK((*s)->prepare({1, 3, int64_t(1) << 31, 64}).code() == Code::kInvalidArgument);
  CHECK((*s)->prepare({1, 3, 64, -5}).code() == Code::kInvalidArgument);
  // The session is still usable afterwards.
  const Shape4 small{1, 3, 40, 40};
  std::vector<float> ok_in(size_t(3 * 40 * 40), 0.25f), ok_out(10);
  CHECK((*s)->run(small, ok_in.data(), ok_out.data()).is_ok());
  CHECK((*s)->arena_bytes() > 0);
}

TEST_CASE("an arena past the runtime's cap is kOutOfMemory without trying to allocate it") {
  const Opened o(build_tvl(valid_spec()));
  REQUIRE(o.model);
  auto s = tvlite::Session::create(*o.model);
  REQUIRE(s);
  // 1024 x 3 x 4096 x 4096: every value fits the planner's element cap (conv1: 2^38 floats), but
  // the arena would exceed 1 TiB, which the session refuses before calling new.
  const tvlite::Status st = (*s)->prepare({1024, 3, 4096, 4096});
  CHECK(st.code() == Code::kOutOfMemory);
  CHECK_MESSAGE(contains(st.message(), "arena of"), st.message());
  CHECK((*s)->arena_bytes() == 0);
}

TEST_CASE("an arena the machine cannot give is kOutOfMemory, and the session recovers") {
  const Opened o(build_tvl(valid_spec()));
  REQUIRE(o.model);
  auto s = tvlite::Session::create(*o.model);
  REQUIRE(s);
  // 64 x 3 x 4096 x 4096: an arena of ~200 GB, under the 1 TiB cap, so the session asks for it.
  // With Linux's default overcommit heuristic (and under the sanitizers, with
  // allocator_may_return_null=1) that request fails, and must come back as a value.
  const tvlite::Status st = (*s)->prepare({64, 3, 4096, 4096});
  if (st.is_ok()) {
    // overcommit_memory=1: the kernel promised the pages; nothing was touched.
    MESSAGE("the system granted an arena of " << (*s)->arena_bytes() << " bytes (overcommit)");
  } else {
    CHECK(st.code() == Code::kOutOfMemory);
    // 32-bit size_t (armhf): the planner refuses the 80 GiB before trying to allocate it.
    CHECK_MESSAGE(contains(st.message(), sizeof(size_t) >= 8 ? "cannot allocate"
                                                             : "more than this machine can address"),
                  st.message());
    CHECK((*s)->arena_bytes() == 0);
  }
  const Shape4 small{1, 3, 40, 40};
  std::vector<float> in(size_t(3 * 40 * 40), 0.25f), out(10);
  CHECK((*s)->run(small, in.data(), out.data()).is_ok());
}

TEST_CASE("headers declaring huge counts are refused before allocating for them") {
  const std::vector<uint8_t> good = build_tvl(valid_spec());
  const tvlite::fb::Model* m = tvlite::fb::GetModel(good.data());
  // The reader reserves one TensorInfo per declared tensor: a count of 2^31 - 1 would be ~200 GB
  // if it got that far. The FlatBuffers verifier bounds every vector by the buffer's size.
  SUBCASE("tensor count") {
    std::vector<uint8_t> f = good;
    set_vector_length(&f, tvlite::fb::GetModel(f.data())->tensors(), 0x7fffffff);
    const Opened o(f);
    CHECK(o.code() == Code::kInvalidFile);
    CHECK(contains(o.message(), "FlatBuffers verification failed"));
  }
  SUBCASE("shape rank") {
    std::vector<uint8_t> f = good;
    set_vector_length(&f, tvlite::fb::GetModel(f.data())->tensors()->Get(0)->shape(), 1u << 30);
    CHECK(Opened(f).code() == Code::kInvalidFile);
  }
  SUBCASE("name length") {
    std::vector<uint8_t> f = good;
    set_vector_length(&f, tvlite::fb::GetModel(f.data())->tensors()->Get(3)->name(), 0xfffffff0u);
    CHECK(Opened(f).code() == Code::kInvalidFile);
  }
  SUBCASE("a rank within the buffer but past the format's limit") {
    FileSpec s = valid_spec();
    s.tensors[0].shape = {64, 3, 7, 7, 1, 1, 1, 1, 1};
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_MESSAGE(contains(o.message(), "rank 9"), o.message());
  }
  CHECK(m->tensors()->size() == valid_spec().tensors.size());
}

TEST_CASE("headers declaring huge sizes are refused before allocating for them") {
  SUBCASE("a consistent 4 EiB tensor (shape, dtype and length agree)") {
    FileSpec s = valid_spec();
    s.tensors.back().shape = {int64_t(1) << 30, int64_t(1) << 30};
    s.tensors.back().length = int64_t(1) << 62;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_MESSAGE(contains(o.message(), "outside the data region"), o.message());
  }
  SUBCASE("num_classes of 2^30 (the graph would hold a 2^30 x 512 linear layer)") {
    FileSpec s = valid_spec();
    s.arch.num_classes = 1 << 30;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_MESSAGE(contains(o.message(), "num_classes"), o.message());
  }
  SUBCASE("num_classes inside the limit but not matching the file's tensors") {
    FileSpec s = valid_spec();
    s.arch.num_classes = 1 << 24;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_MESSAGE(contains(o.message(), "wrong tensor shapes"), o.message());
  }
  SUBCASE("a ResNet stage of 100000 blocks") {
    FileSpec s = valid_spec();
    s.arch.layers = {2, 2, 2, 100000};
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_MESSAGE(contains(o.message(), "100000 blocks"), o.message());
  }
  SUBCASE("huge groups and width_per_group") {
    FileSpec s = valid_spec();
    s.arch.groups = 1 << 20;
    s.arch.width_per_group = 1 << 30;
    const Opened o(build_tvl(s));
    CHECK(o.code() == Code::kInvalidFile);
    CHECK_MESSAGE(contains(o.message(), "out of range"), o.message());
  }
}

TEST_CASE("copy_if_misaligned: a copy that cannot be made is an error value, not an exception") {
  const std::vector<uint8_t> f = build_tvl(valid_spec());
  const AlignedBytes misaligned(f, 8);
  tvlite::OpenOptions copy;
  copy.copy_if_misaligned = true;
  // A size that wraps when the alignment slack is added (the copy was once sized to 63 bytes).
  auto r = Model::from_buffer(misaligned.data(), SIZE_MAX - 8, copy);
  CHECK(r.status().code() == Code::kInvalidArgument);
#if !TVLITE_TEST_SANITIZED
  // 256 TiB (4 GiB - 1 MiB where size_t is 32 bits): no allocator grants it, and std::bad_alloc
  // must not escape (plain builds only).
  const uint64_t huge = sizeof(size_t) >= 8 ? uint64_t(1) << 48 : uint64_t(SIZE_MAX) - (1u << 20);
  r = Model::from_buffer(misaligned.data(), size_t(huge), copy);
  CHECK(r.status().code() == Code::kOutOfMemory);
#endif
  r = Model::from_buffer(misaligned.data(), misaligned.size(), copy);
  CHECK(r);
}
