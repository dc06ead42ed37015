// Caller-supplied memory for everything the runtime allocates (TFLite Micro's arena, as a
// std::pmr::memory_resource). A Model opened with OpenOptions::workspace and a Session created
// with SessionOptions::workspace take their containers, graph, plan and activation arena from it:
// with a workspace, Model::from_buffer, Session::create (threads == 1), prepare and run make no
// heap allocation at all.
//
// Layout: one bump pointer from the front, every allocation aligned as requested (64 for the
// activation arena); nothing is freed before the Workspace itself goes away (monotonic, like
// TFLite Micro's persistent section). How many bytes a model and input shape need is what
// workspace_bytes() measures: it runs the same load and plan against a counting Workspace.
//
// Ownership: the Workspace borrows [buffer, buffer + size); the caller keeps the buffer and the
// Workspace alive, unmoved, for as long as any Model or Session made in it. Not thread-safe: one
// thread creates the objects made in one Workspace (running them afterwards is as for any
// Session). Exhaustion is std::bad_alloc inside the runtime, returned as Code::kOutOfMemory; a
// build without exceptions (TVLITE_BARE_METAL) cannot recover from it and aborts, so firmware
// sizes its buffer with workspace_bytes() / `tvlite-inspect --arena-bytes` beforehand.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory_resource>

#include "tvlite/status.h"

namespace tvlite {

struct Shape4;

class Workspace final : public std::pmr::memory_resource {
 public:
  // Borrows the caller's buffer (any alignment: the front is aligned to 64 inside).
  Workspace(void* buffer, size_t size);
  // A measuring workspace: serves each request from the heap and counts what a buffer would
  // need (same offsets, same alignment), so used() after a load is the exact requirement.
  static Workspace measuring();
  ~Workspace() override = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }  // bytes from the aligned front, padding included
  bool is_measuring() const { return measuring_; }

 private:
  explicit Workspace(bool measuring) : capacity_(SIZE_MAX), measuring_(measuring) {}
  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  uint8_t* base_ = nullptr;  // aligned to 64
  size_t capacity_ = 0;
  size_t used_ = 0;
  bool measuring_ = false;
};

// Bytes a Workspace needs to open the model in [data, data + size) (zero-copy: 64-aligned, f32),
// create a Session with `threads` and prepare `shape`: the measured requirement plus 63 bytes
// for a buffer of any alignment. The model bytes are not counted (they stay where they are).
Result<size_t> workspace_bytes(const void* data, size_t size, const Shape4& shape, int threads = 1);

}  // namespace tvlite
