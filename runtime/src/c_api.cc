// The C API over Model / Session / Workspace: handles are small structs in the caller's
// workspace (or on the heap), every C++ failure becomes a tvlite_status plus a message, and no
// exception crosses the boundary.
#include "tvlite/tvlite.h"

#include <cstring>
#include <memory>
#include <new>

#include "memory.h"
#include "tvlite/model.h"
#include "tvlite/session.h"
#include "tvlite/workspace.h"

struct tvlite_workspace {
  explicit tvlite_workspace(void* buffer, size_t size) : workspace(buffer, size) {}
  struct Measuring {};
  explicit tvlite_workspace(Measuring) : workspace(tvlite::Workspace::measuring()) {}
  tvlite::Workspace workspace;
};

struct tvlite_model {
  std::shared_ptr<const tvlite::Model> model;
  static void* operator new(size_t size, std::pmr::memory_resource* memory) {
    return tvlite::detail::new_in(size, memory);
  }
  static void operator delete(void* p, std::pmr::memory_resource*) {
    tvlite::detail::delete_in(p, sizeof(tvlite_model));
  }
  static void operator delete(void* p, size_t size) { tvlite::detail::delete_in(p, size); }
};

struct tvlite_session {
  std::unique_ptr<tvlite::Session> session;
  static void* operator new(size_t size, std::pmr::memory_resource* memory) {
    return tvlite::detail::new_in(size, memory);
  }
  static void operator delete(void* p, std::pmr::memory_resource*) {
    tvlite::detail::delete_in(p, sizeof(tvlite_session));
  }
  static void operator delete(void* p, size_t size) { tvlite::detail::delete_in(p, size); }
};

namespace {

using tvlite::Code;
using tvlite::Status;

#if TVLITE_THREADS
thread_local char g_last_error[256];
#else
char g_last_error[256];  // a build without threads has one caller
#endif

tvlite_status fail(const Status& st) {
  const std::string text = st.to_string();
  const size_t n = text.size() < sizeof g_last_error - 1 ? text.size() : sizeof g_last_error - 1;
  std::memcpy(g_last_error, text.data(), n);
  g_last_error[n] = '\0';
  return static_cast<tvlite_status>(st.code());
}

tvlite_status null_argument(const char* what) {
  return fail(Status(Code::kInvalidArgument, std::string("null ") + what));
}

tvlite::Shape4 to_shape(tvlite_shape s) { return tvlite::Shape4{s.n, s.c, s.h, s.w}; }

// The heap (null) or the workspace, for the handles' operator new.
std::pmr::memory_resource* memory_of(tvlite_workspace* ws) {
  return ws != nullptr ? &ws->workspace : nullptr;
}

template <class F>
tvlite_status guarded(F&& f) {
  const Status st = tvlite::detail::catch_oom<Status>("out of memory", std::forward<F>(f));
  return st ? TVLITE_OK : fail(st);
}

Status open_model(const void* data, size_t size, tvlite_workspace* ws, tvlite_model** out) {
  tvlite::OpenOptions options;
  options.workspace = ws != nullptr ? &ws->workspace : nullptr;
  auto model = tvlite::Model::from_buffer(data, size, options);
  if (!model) return model.status();
  *out = new (memory_of(ws)) tvlite_model{std::move(*model)};
  return Status::ok();
}

Status create_session(const tvlite_model* model, tvlite_workspace* ws, const tvlite_shape* shape,
                      int threads, tvlite_session** out) {
  tvlite::SessionOptions options;
  options.threads = threads;
  options.workspace = ws != nullptr ? &ws->workspace : nullptr;
  auto session = tvlite::Session::create(model->model, options);
  if (!session) return session.status();
  if (shape != nullptr) TVLITE_RETURN_IF_ERROR((*session)->prepare(to_shape(*shape)));
  *out = new (memory_of(ws)) tvlite_session{std::move(*session)};
  return Status::ok();
}

}  // namespace

extern "C" {

const char* tvlite_status_string(tvlite_status status) {
  return tvlite::to_string(static_cast<Code>(status));
}

const char* tvlite_last_error(void) { return g_last_error; }

tvlite_status tvlite_workspace_size(const void* data, size_t size, tvlite_shape shape, int threads,
                                    size_t* bytes) {
  if (bytes == nullptr) return null_argument("bytes");
  return guarded([&]() -> Status {
    // The same calls as a caller's, against a counting workspace that has the same front.
    tvlite_workspace counting{tvlite_workspace::Measuring{}};
    size_t used = 0;
    {
      tvlite_workspace* ws = &counting;
      tvlite_model* model = nullptr;
      TVLITE_RETURN_IF_ERROR(open_model(data, size, ws, &model));
      tvlite_session* session = nullptr;
      const Status st = create_session(model, ws, &shape, threads, &session);
      used = counting.workspace.used();
      delete session;
      delete model;
      if (!st) return st;
    }
    // The handle at the buffer's front, then the workspace's own alignment of what follows.
    *bytes = sizeof(tvlite_workspace) + alignof(tvlite_workspace) + 63 + used;
    return Status::ok();
  });
}

tvlite_status tvlite_workspace_create(void* buffer, size_t size, tvlite_workspace** out) {
  if (buffer == nullptr || out == nullptr) return null_argument("buffer or out");
  const uintptr_t addr = reinterpret_cast<uintptr_t>(buffer);
  const size_t pad = (alignof(tvlite_workspace) - addr % alignof(tvlite_workspace)) %
                     alignof(tvlite_workspace);
  if (size < pad + sizeof(tvlite_workspace)) {
    return fail(Status(Code::kOutOfMemory, "a workspace of " + std::to_string(size) +
                                               " bytes cannot hold its own bookkeeping"));
  }
  uint8_t* front = static_cast<uint8_t*>(buffer) + pad;
  const size_t header = pad + sizeof(tvlite_workspace);
  *out = new (front) tvlite_workspace(static_cast<uint8_t*>(buffer) + header, size - header);
  return TVLITE_OK;
}

size_t tvlite_workspace_used(const tvlite_workspace* workspace) {
  return workspace != nullptr ? workspace->workspace.used() : 0;
}

tvlite_status tvlite_model_from_buffer(const void* data, size_t size, tvlite_workspace* workspace,
                                       tvlite_model** out) {
  if (out == nullptr) return null_argument("out");
  *out = nullptr;
  return guarded([&] { return open_model(data, size, workspace, out); });
}

void tvlite_model_destroy(tvlite_model* model) { delete model; }

int64_t tvlite_model_num_classes(const tvlite_model* model) {
  return model != nullptr ? model->model->arch().num_classes : 0;
}

void tvlite_model_input_size(const tvlite_model* model, int* height, int* width) {
  if (model == nullptr) return;
  if (height != nullptr) *height = model->model->input().height;
  if (width != nullptr) *width = model->model->input().width;
}

tvlite_status tvlite_session_create(const tvlite_model* model, int threads, tvlite_session** out) {
  if (model == nullptr || out == nullptr) return null_argument("model or out");
  *out = nullptr;
  return guarded([&] { return create_session(model, nullptr, nullptr, threads, out); });
}

tvlite_status tvlite_session_create_in(const tvlite_model* model, tvlite_workspace* workspace,
                                       tvlite_shape shape, int threads, tvlite_session** out) {
  if (model == nullptr || workspace == nullptr || out == nullptr) {
    return null_argument("model, workspace or out");
  }
  *out = nullptr;
  return guarded([&] { return create_session(model, workspace, &shape, threads, out); });
}

void tvlite_session_destroy(tvlite_session* session) { delete session; }

tvlite_status tvlite_run(tvlite_session* session, tvlite_shape shape, const float* input,
                         float* output, size_t output_count) {
  if (session == nullptr) return null_argument("session");
  const int64_t classes = session->session->num_classes();
  if (shape.n < 1 || uint64_t(shape.n) > output_count / uint64_t(classes > 0 ? classes : 1)) {
    return fail(Status(Code::kInvalidArgument,
                       "output holds " + std::to_string(output_count) + " floats; " +
                           std::to_string(shape.n) + " x " + std::to_string(classes) +
                           " are needed"));
  }
  return guarded([&] { return session->session->run(to_shape(shape), input, output); });
}

}  // extern "C"
