/* tvlite's C API (C99, C++-compatible): for C firmware and other languages' bindings.
 *
 *   static uint8_t arena[MODEL_WORKSPACE_BYTES];   // tvlite-inspect --arena-bytes, or
 *                                                   // tvlite_workspace_size()
 *   tvlite_workspace* ws;  tvlite_model* model;  tvlite_session* session;
 *   tvlite_shape shape = {1, 3, 32, 32};
 *   if (tvlite_workspace_create(arena, sizeof arena, &ws) != TVLITE_OK ||
 *       tvlite_model_from_buffer(model_data, model_size, ws, &model) != TVLITE_OK ||
 *       tvlite_session_create_in(model, ws, shape, 1, &session) != TVLITE_OK ||
 *       tvlite_run(session, shape, input, logits, num_logits) != TVLITE_OK) {
 *     printf("%s\n", tvlite_last_error());
 *   }
 *
 * Handles are opaque. Every call returns a tvlite_status; on failure tvlite_last_error() gives a
 * message ("invalid file: ..."). Nothing throws across this boundary and nothing aborts on bad
 * input. Ownership and lifetime:
 * - model bytes are borrowed (zero-copy, 64-byte aligned, as Model::from_buffer) and must
 *   outlive the model;
 * - a workspace borrows its buffer; models and sessions made in it live there and must be
 *   destroyed before the buffer is reused (destroying them returns nothing to the workspace: it
 *   is monotonic). With a workspace, model_from_buffer, session_create_in (threads == 1) and
 *   run make no heap allocation;
 * - a model outlives the sessions made from it; a session is used by one thread at a time.
 * Without a workspace (NULL), handles and all runtime memory come from the heap. */
#ifndef TVLITE_TVLITE_H_
#define TVLITE_TVLITE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The values of tvlite::Code, in the same order. */
typedef enum tvlite_status {
  TVLITE_OK = 0,
  TVLITE_INVALID_ARGUMENT = 1,
  TVLITE_IO_ERROR = 2,
  TVLITE_INVALID_FILE = 3,
  TVLITE_VERSION_MISMATCH = 4,
  TVLITE_CHECKSUM_MISMATCH = 5,
  TVLITE_MISALIGNED = 6,
  TVLITE_UNSUPPORTED = 7,
  TVLITE_OUT_OF_MEMORY = 8,
  TVLITE_INTERNAL = 9
} tvlite_status;

typedef struct tvlite_shape {
  int64_t n, c, h, w; /* NCHW */
} tvlite_shape;

typedef struct tvlite_workspace tvlite_workspace;
typedef struct tvlite_model tvlite_model;
typedef struct tvlite_session tvlite_session;

/* "ok", "invalid file", ... (static strings). */
const char* tvlite_status_string(tvlite_status status);
/* The message of the last failed call on this thread ("" if none). Valid until the next failing
 * call on the same thread. (Per thread; in a build without threads, one for the program.) */
const char* tvlite_last_error(void);

/* Bytes a workspace needs for this model (in [data, data + size)), a session with `threads` and
 * inputs of `shape`, through this API: the workspace's own bookkeeping and the handles
 * included. Computed by running the load once against a counting workspace (uses the heap). */
tvlite_status tvlite_workspace_size(const void* data, size_t size, tvlite_shape shape, int threads,
                                    size_t* bytes);
/* Makes a workspace over [buffer, buffer + size) (any alignment); its bookkeeping lives in the
 * buffer. No heap. The buffer must outlive everything created in the workspace. */
tvlite_status tvlite_workspace_create(void* buffer, size_t size, tvlite_workspace** out);
size_t tvlite_workspace_used(const tvlite_workspace* workspace);

/* Opens and verifies (structure) the .tvl in [data, data + size); workspace may be NULL. */
tvlite_status tvlite_model_from_buffer(const void* data, size_t size, tvlite_workspace* workspace,
                                       tvlite_model** out);
void tvlite_model_destroy(tvlite_model* model);
int64_t tvlite_model_num_classes(const tvlite_model* model);
/* The file's default input: 3 x height x width. */
void tvlite_model_input_size(const tvlite_model* model, int* height, int* width);

/* A session on the heap; it plans any shape at run. */
tvlite_status tvlite_session_create(const tvlite_model* model, int threads, tvlite_session** out);
/* A session in `workspace`, planned for `shape` now (no allocation at run; another shape at run
 * is TVLITE_INVALID_ARGUMENT). */
tvlite_status tvlite_session_create_in(const tvlite_model* model, tvlite_workspace* workspace,
                                       tvlite_shape shape, int threads, tvlite_session** out);
void tvlite_session_destroy(tvlite_session* session);

/* input: shape.n*c*h*w floats (NCHW); output: room for output_count >= shape.n * num_classes. */
tvlite_status tvlite_run(tvlite_session* session, tvlite_shape shape, const float* input,
                         float* output, size_t output_count);

#ifdef __cplusplus
}
#endif
#endif /* TVLITE_TVLITE_H_ */
