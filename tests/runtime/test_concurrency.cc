// One Model shared by many Sessions on many threads: the weights are read-only and borrowed, each
// Session owns its arena and pool, so concurrent runs must give exactly the logits of a run alone.
// Also run under ThreadSanitizer (scripts/sanitize.sh tsan), hence the small inputs.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/session.h"

using tvlite::Model;
using tvlite::Shape4;

namespace {

constexpr int kThreads = 8;
#if TVLITE_TEST_EMULATED
// Under qemu-user (cross builds), 8 sessions' spinning pools on an emulated CPU took 11 minutes
// for 20 iterations; 4 still run both shapes twice per thread, re-planning every time.
constexpr int kIterations = 4;
#else
constexpr int kIterations = 20;
#endif
constexpr int kClasses = 7;

std::vector<float> pattern(size_t n, float phase) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(float(i) * 0.37f + phase);
  return v;
}

size_t numel(const Shape4& s) { return size_t(s.n * s.c * s.h * s.w); }

// What one worker thread runs: two shapes of its own (so every thread's arena differs, and each
// iteration re-plans), with its own pool size, and the logits a lone run gives for them.
struct Job {
  int pool_threads = 1;
  Shape4 shapes[2];
  std::vector<float> inputs[2];
  std::vector<float> expected[2];
  // Filled by the worker, checked on the main thread (doctest asserts stay on one thread).
  int mismatches = 0;
  std::string error;
};

Job make_job(int t) {
  Job j;
  j.pool_threads = 1 + t % 2;
  j.shapes[0] = {1 + t % 2, 3, 32 + 3 * t, 40 + 2 * t};
  j.shapes[1] = {1, 3, 56 - 2 * t, 33 + t};
  for (int k = 0; k < 2; ++k) {
    j.inputs[k] = pattern(numel(j.shapes[k]), 0.1f * float(t) + float(k));
    j.expected[k].assign(size_t(j.shapes[k].n) * kClasses, 0.0f);
  }
  return j;
}

void work(std::shared_ptr<const Model> model, Job* job, std::atomic<int>* ready) {
  auto s = tvlite::Session::create(std::move(model), {job->pool_threads});
  // Start every run at once, after all the sessions exist.
  ready->fetch_add(1);
  while (ready->load() < kThreads) std::this_thread::yield();
  if (!s) {
    job->error = s.status().to_string();
    return;
  }
  std::vector<float> out;
  for (int i = 0; i < kIterations; ++i) {
    const int k = i % 2;
    out.assign(job->expected[k].size(), -1.0f);
    const tvlite::Status st = (*s)->run(job->shapes[k], job->inputs[k].data(), out.data());
    if (!st) {
      job->error = "iteration " + std::to_string(i) + ": " + st.to_string();
      return;
    }
    // Bit-exact: the same kernels on the same data in the same order, whatever else runs.
    if (std::memcmp(out.data(), job->expected[k].data(), out.size() * sizeof(float)) != 0) {
      ++job->mismatches;
    }
  }
}

}  // namespace

TEST_CASE("8 sessions on 8 threads share one model and match lone runs bit for bit") {
  tvlite::schema::ArchConfig arch;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", kClasses, &arch));
  const tvlite::test::AlignedBytes bytes(
      tvlite::test::build_tvl(tvlite::test::random_model(arch, 11)));
  auto opened = Model::from_buffer(bytes.data(), bytes.size());
  REQUIRE_MESSAGE(opened, opened.status().to_string());
  std::shared_ptr<const Model> model = *opened;

  std::vector<Job> jobs;
  for (int t = 0; t < kThreads; ++t) {
    jobs.push_back(make_job(t));
    Job& j = jobs.back();
    auto lone = tvlite::Session::create(model, {j.pool_threads});
    REQUIRE(lone);
    for (int k = 0; k < 2; ++k) {
      REQUIRE((*lone)->run(j.shapes[k], j.inputs[k].data(), j.expected[k].data()).is_ok());
    }
  }
  // Different shapes must give different logits, or the comparison would prove little.
  CHECK(jobs[0].expected[0] != jobs[1].expected[0]);

  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(work, model, &jobs[size_t(t)], &ready);
  model.reset();  // the sessions keep the model alive
  for (std::thread& th : threads) th.join();

  for (int t = 0; t < kThreads; ++t) {
    CAPTURE(t);
    const Job& j = jobs[size_t(t)];
    CHECK_MESSAGE(j.error.empty(), j.error);
    CHECK(j.mismatches == 0);
  }
}

TEST_CASE("sessions created, run and destroyed concurrently on one model") {
  tvlite::schema::ArchConfig arch;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", kClasses, &arch));
  const tvlite::test::AlignedBytes bytes(
      tvlite::test::build_tvl(tvlite::test::random_model(arch, 12)));
  auto opened = Model::from_buffer(bytes.data(), bytes.size());
  REQUIRE(opened);
  const std::shared_ptr<const Model> model = *opened;
  const Shape4 shape{1, 3, 33, 35};
  const std::vector<float> input = pattern(numel(shape), 0.5f);
  std::vector<float> expected[2];  // by pool size: 1 and 2 threads may round differently
  for (int p = 0; p < 2; ++p) {
    expected[p].resize(kClasses);
    auto s = tvlite::Session::create(model, {1 + p});
    REQUIRE((*s)->run(shape, input.data(), expected[p].data()).is_ok());
  }

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> out(kClasses);
      for (int i = 0; i < 4; ++i) {
        // A fresh session (and pool) each time: creation and teardown race with others' runs.
        const int p = (t + i) % 2;
        auto s = tvlite::Session::create(model, {1 + p});
        if (!s || !(*s)->run(shape, input.data(), out.data()) ||
            std::memcmp(out.data(), expected[p].data(), sizeof(float) * kClasses) != 0) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
}
