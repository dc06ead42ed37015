/* The C API, compiled as C99: an embedded model (tvlite_embed_model) opened in a workspace and
 * run with zero heap allocations, the same logits as on the heap, and every kind of bad call
 * answered with a status and a message. Exit status 0 when every check holds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "c_api_model.h"
#include "heap_counter.h"
#include "tvlite/tvlite.h"

static int failures = 0;
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

#define N 2
#define C 3
#define H 40
#define W 36
#define CLASSES 5

static float input[N * C * H * W];
static float logits[N * CLASSES], heap_logits[N * CLASSES];
static unsigned char arena[c_api_model_WORKSPACE_BYTES];

int main(void) {
  const tvlite_shape shape = {N, C, H, W};
  tvlite_workspace* ws = NULL;
  tvlite_model* model = NULL;
  tvlite_session* session = NULL;
  size_t i, calls, need = 0;
  uint32_t state = 99;
  for (i = 0; i < sizeof input / sizeof input[0]; ++i) {
    state = state * 1664525u + 1013904223u;
    input[i] = (float)(state >> 8) / (float)(1u << 24) - 0.5f;
  }
  CHECK(((uintptr_t)c_api_model) % 64 == 0);
  CHECK(tvlite_workspace_size(c_api_model, c_api_model_SIZE, shape, 1, &need) == TVLITE_OK);
  CHECK(need == c_api_model_WORKSPACE_BYTES);

  heap_counter_arm();
  CHECK(tvlite_workspace_create(arena, sizeof arena, &ws) == TVLITE_OK);
  CHECK(tvlite_model_from_buffer(c_api_model, c_api_model_SIZE, ws, &model) == TVLITE_OK);
  CHECK(tvlite_session_create_in(model, ws, shape, 1, &session) == TVLITE_OK);
  CHECK(tvlite_run(session, shape, input, logits, N * CLASSES) == TVLITE_OK);
  calls = heap_counter_disarm(NULL);
  CHECK(calls == 0);
  CHECK(tvlite_workspace_used(ws) <= sizeof arena);
  CHECK(tvlite_model_num_classes(model) == CLASSES);
  printf("workspace %zu bytes (%zu used), heap allocations %zu\n", sizeof arena,
         tvlite_workspace_used(ws), calls);

  /* The same on the heap. */
  {
    tvlite_model* m = NULL;
    tvlite_session* s = NULL;
    heap_counter_arm();
    CHECK(tvlite_model_from_buffer(c_api_model, c_api_model_SIZE, NULL, &m) == TVLITE_OK);
    CHECK(tvlite_session_create(m, 1, &s) == TVLITE_OK);
    CHECK(tvlite_run(s, shape, input, heap_logits, N * CLASSES) == TVLITE_OK);
    CHECK(heap_counter_disarm(NULL) > 100); /* the counter sees the heap path */
    CHECK(memcmp(logits, heap_logits, sizeof logits) == 0);
    tvlite_session_destroy(s);
    tvlite_model_destroy(m);
  }

  /* Bad calls: a status and a message, never a crash. */
  {
    const tvlite_shape other = {1, 3, 32, 32};
    const tvlite_shape two_channels = {1, 2, 32, 32};
    tvlite_model* m = NULL;
    tvlite_session* s = NULL;
    tvlite_workspace* tiny = NULL;
    static unsigned char small[4096];
    static unsigned char garbage[256] __attribute__((aligned(64)));
    CHECK(tvlite_run(session, other, input, logits, N * CLASSES) == TVLITE_INVALID_ARGUMENT);
    CHECK(strstr(tvlite_last_error(), "planned for 2x3x40x36") != NULL);
    CHECK(tvlite_run(session, shape, input, logits, 3) == TVLITE_INVALID_ARGUMENT);
    CHECK(strstr(tvlite_last_error(), "output holds 3 floats") != NULL);
    CHECK(tvlite_run(session, shape, NULL, logits, N * CLASSES) == TVLITE_INVALID_ARGUMENT);
    CHECK(tvlite_run(NULL, shape, input, logits, N * CLASSES) == TVLITE_INVALID_ARGUMENT);
    CHECK(tvlite_model_from_buffer(garbage, sizeof garbage, NULL, &m) == TVLITE_INVALID_FILE);
    CHECK(m == NULL);
    CHECK(strstr(tvlite_last_error(), "invalid file") == tvlite_last_error());
    CHECK(tvlite_model_from_buffer(c_api_model + 8, c_api_model_SIZE - 8, NULL, &m) ==
          TVLITE_MISALIGNED);
    CHECK(tvlite_model_from_buffer(c_api_model, c_api_model_SIZE, NULL, NULL) ==
          TVLITE_INVALID_ARGUMENT);
    CHECK(tvlite_workspace_create(small, 8, &tiny) == TVLITE_OUT_OF_MEMORY);
    CHECK(tvlite_workspace_create(small, sizeof small, &tiny) == TVLITE_OK);
    CHECK(tvlite_model_from_buffer(c_api_model, c_api_model_SIZE, tiny, &m) ==
          TVLITE_OUT_OF_MEMORY);
    CHECK(strstr(tvlite_last_error(), "workspace") != NULL);
    CHECK(tvlite_model_from_buffer(c_api_model, c_api_model_SIZE, NULL, &m) == TVLITE_OK);
    CHECK(tvlite_session_create(m, 0, &s) == TVLITE_INVALID_ARGUMENT);
    CHECK(tvlite_session_create(m, 1, &s) == TVLITE_OK);
    CHECK(tvlite_run(s, two_channels, input, logits, N * CLASSES) == TVLITE_INVALID_ARGUMENT);
    CHECK(strstr(tvlite_last_error(), "input channels") != NULL);
    CHECK(tvlite_workspace_size(garbage, sizeof garbage, shape, 1, &need) == TVLITE_INVALID_FILE);
    CHECK(strcmp(tvlite_status_string(TVLITE_OUT_OF_MEMORY), "out of memory") == 0);
    tvlite_session_destroy(s);
    tvlite_model_destroy(m);
  }

  tvlite_session_destroy(session);
  tvlite_model_destroy(model);
  if (failures == 0) printf("test_c_api: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
