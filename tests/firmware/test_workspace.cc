// The runtime in caller-supplied memory: with a Workspace, Model::from_buffer, Session::create,
// prepare and run make no heap allocation (every operator new and malloc is counted, see
// examples/firmware/heap_counter.h), give the same logits as the heap, and a workspace that is
// too small is a clean kOutOfMemory at every size, never a crash.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "heap_counter.h"
#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/session.h"
#include "tvlite/workspace.h"

using tvlite::Code;
using tvlite::Model;
using tvlite::Session;
using tvlite::Shape4;
using tvlite::Workspace;
using tvlite::test::AlignedBytes;

namespace {

const AlignedBytes& model_bytes() {
  static const AlignedBytes bytes = [] {
    tvlite::schema::ArchConfig a;
    REQUIRE(tvlite::schema::arch_by_name("resnet18", 7, &a));
    return AlignedBytes(tvlite::test::build_tvl(tvlite::test::random_model(a, 5)));
  }();
  return bytes;
}

constexpr Shape4 kShape{2, 3, 40, 33};

std::vector<float> input_for(const Shape4& s) {
  std::vector<float> x(size_t(s.n * s.c * s.h * s.w));
  uint32_t state = 12345;
  for (float& v : x) {
    state = state * 1664525u + 1013904223u;
    v = float(state >> 8) / float(1u << 24) - 0.5f;
  }
  return x;
}

std::vector<float> heap_logits(const Shape4& s, int threads = 1) {
  auto model = Model::from_buffer(model_bytes().data(), model_bytes().size());
  REQUIRE(model);
  auto session = Session::create(*model, {threads});
  REQUIRE(session);
  std::vector<float> out(size_t(s.n * (*session)->num_classes()));
  REQUIRE((*session)->run(s, input_for(s).data(), out.data()).is_ok());
  return out;
}

size_t required_bytes(const Shape4& s, int threads = 1) {
  auto bytes = tvlite::workspace_bytes(model_bytes().data(), model_bytes().size(), s, threads);
  REQUIRE_MESSAGE(bytes, bytes.status().to_string());
  return *bytes;
}

// Opens, creates, prepares and runs in `ws`; the first failing Status, or ok.
struct InWorkspace {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  tvlite::Status status;
  size_t heap_calls = 0;

  InWorkspace(Workspace* ws, const Shape4& s, const float* input, float* output, int threads = 1,
              const void* data = model_bytes().data(), bool copy = false) {
    tvlite::OpenOptions open;
    open.workspace = ws;
    open.copy_if_misaligned = copy;
    tvlite::SessionOptions so;
    so.threads = threads;
    so.workspace = ws;
    heap_counter_arm();
    {
      auto m = Model::from_buffer(data, model_bytes().size(), open);
      if (!m) {
        status = m.status();
      } else {
        model = std::move(*m);
        auto c = Session::create(model, so);
        if (!c) {
          status = c.status();
        } else {
          session = std::move(*c);
          status = session->prepare(s);
          if (status) status = session->run(s, input, output);
        }
      }
    }
    heap_calls = heap_counter_disarm(nullptr);
  }
};

}  // namespace

TEST_CASE("from_buffer, create, prepare and run in a workspace make zero heap allocations") {
  const size_t need = required_bytes(kShape);
  std::vector<uint8_t> buffer(need);
  Workspace ws(buffer.data(), buffer.size());
  const std::vector<float> input = input_for(kShape);
  std::vector<float> out(size_t(kShape.n * 7), -1.0f);
  InWorkspace run(&ws, kShape, input.data(), out.data());
  REQUIRE_MESSAGE(run.status.is_ok(), run.status.to_string());
  CHECK(run.heap_calls == 0);
  CHECK(run.model->is_zero_copy());
  CHECK(ws.used() <= ws.capacity());
  MESSAGE("workspace for resnet18, 2x3x40x33: " << need << " bytes, activation arena "
                                                << run.session->arena_bytes());
  // Same kernels, same plan: bit-identical to the heap session.
  CHECK(std::memcmp(out.data(), heap_logits(kShape).data(), out.size() * sizeof(float)) == 0);

  // Later runs of the planned shape: still nothing from the heap.
  heap_counter_arm();
  for (int i = 0; i < 3; ++i) REQUIRE(run.session->run(kShape, input.data(), out.data()).is_ok());
  CHECK(heap_counter_disarm(nullptr) == 0);

  // A workspace session is planned once.
  const tvlite::Status other = run.session->run({1, 3, 32, 32}, input.data(), out.data());
  CHECK(other.code() == Code::kInvalidArgument);
  CHECK(other.message().find("planned for 2x3x40x33") != std::string::npos);
}

TEST_CASE("the counter is not vacuous: the same calls on the heap are counted") {
  const std::vector<float> input = input_for(kShape);
  std::vector<float> out(size_t(kShape.n * 7));
  InWorkspace run(nullptr, kShape, input.data(), out.data());
  REQUIRE(run.status.is_ok());
  CHECK(run.heap_calls > 100);  // tensor table, graph, names, plan, arena, ...
  heap_counter_arm();
  void* volatile p = std::malloc(3);  // the malloc family is counted too (linked with --wrap)
  std::free(p);
  CHECK(heap_counter_disarm(nullptr) == 1);
}

TEST_CASE("workspace_bytes is exact: one byte less is kOutOfMemory") {
  const size_t need = required_bytes(kShape) - 63;  // the slack for an unaligned buffer
  const AlignedBytes exact{std::vector<uint8_t>(need)};
  const std::vector<float> input = input_for(kShape);
  std::vector<float> out(size_t(kShape.n * 7));
  {
    Workspace ws(const_cast<uint8_t*>(exact.data()), need);
    InWorkspace run(&ws, kShape, input.data(), out.data());
    CHECK_MESSAGE(run.status.is_ok(), run.status.to_string());
    CHECK(ws.used() == need);
  }
  {
    Workspace ws(const_cast<uint8_t*>(exact.data()), need - 1);
    InWorkspace run(&ws, kShape, input.data(), out.data());
    CHECK(run.status.code() == Code::kOutOfMemory);
  }
}

TEST_CASE("a workspace too small at any point is a clean kOutOfMemory") {
  const size_t need = required_bytes(kShape);
  const std::vector<float> input = input_for(kShape);
  std::vector<float> out(size_t(kShape.n * 7));
  std::vector<uint8_t> buffer(need);
  for (size_t size : {size_t(0), size_t(1), size_t(64), size_t(1000), size_t(20000), need / 3,
                      need / 2, need - need / 10, need - 4096, need - 200}) {
    CAPTURE(size);
    Workspace ws(buffer.data(), size);
    InWorkspace run(&ws, kShape, input.data(), out.data());
    CHECK(run.status.code() == Code::kOutOfMemory);
    CHECK(run.status.message().find("workspace") != std::string::npos);
  }
  Workspace null_ws(nullptr, 100);
  CHECK(null_ws.capacity() == 0);
}

TEST_CASE("a misaligned buffer's aligned copy lives in the workspace too") {
  const AlignedBytes shifted(tvlite::test::build_tvl([] {
    tvlite::schema::ArchConfig a;
    REQUIRE(tvlite::schema::arch_by_name("resnet18", 7, &a));
    return tvlite::test::random_model(a, 5);
  }()), /*misalign=*/8);
  const Shape4 s{1, 3, 32, 32};
  std::vector<uint8_t> buffer(required_bytes(s) + model_bytes().size() + 64);
  Workspace ws(buffer.data(), buffer.size());
  const std::vector<float> input = input_for(s);
  std::vector<float> out(7);
  InWorkspace run(&ws, s, input.data(), out.data(), 1, shifted.data(), /*copy=*/true);
  REQUIRE_MESSAGE(run.status.is_ok(), run.status.to_string());
  CHECK(run.model->is_copy());
  CHECK(run.heap_calls == 0);
  CHECK(std::memcmp(out.data(), heap_logits(s).data(), out.size() * sizeof(float)) == 0);
}

TEST_CASE("threads > 1 in a workspace: the workers start at create, run allocates nothing") {
  const int threads = 2;
  std::vector<uint8_t> buffer(required_bytes(kShape, threads));
  Workspace ws(buffer.data(), buffer.size());
  const std::vector<float> input = input_for(kShape);
  std::vector<float> out(size_t(kShape.n * 7));
  InWorkspace run(&ws, kShape, input.data(), out.data(), threads);
  REQUIRE_MESSAGE(run.status.is_ok(), run.status.to_string());
  heap_counter_arm();
  for (int i = 0; i < 3; ++i) REQUIRE(run.session->run(kShape, input.data(), out.data()).is_ok());
  CHECK(heap_counter_disarm(nullptr) == 0);
  CHECK(std::memcmp(out.data(), heap_logits(kShape, threads).data(), out.size() * sizeof(float)) == 0);
}
