#include "tvlite/selftest.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tvlite/schema/tvlite_generated.h"

namespace tvlite {
namespace {

Status invalid(const std::string& message) {
  return Status(Code::kInvalidFile, "self-test: " + message);
}

// FlatBuffers float vectors are 4-byte aligned in a verified buffer; memcpy keeps that an
// implementation detail.
std::vector<float> copy_floats(const flatbuffers::Vector<float>& v) {
  std::vector<float> out(v.size());
  if (!out.empty()) std::memcpy(out.data(), v.Data(), out.size() * sizeof(float));
  return out;
}

}  // namespace

Result<SelfTestCase> read_selftest(const Model& model) {
  // Model::open ran the FlatBuffers verifier over the whole header, SelfTest table included.
  const fb::SelfTest* st = fb::GetModel(model.bytes())->selftest();
  if (st == nullptr) {
    const std::string version =
        std::to_string(model.format_major()) + "." + std::to_string(model.format_minor());
    if (model.format_major() == 1 && model.format_minor() < 2) {
      return Status(Code::kUnsupported,
                    "this file (format " + version +
                        ") carries no self-test: self-tests came with format 1.2; re-export it "
                        "with a current tvlite-export to get one");
    }
    return Status(Code::kUnsupported, "this file (format " + version +
                                          ") carries no self-test: it was exported with "
                                          "--no-selftest");
  }
  SelfTestCase c;
  c.classes = model.arch().num_classes;
  if (st->batch() < 1 || st->batch() > 64 || st->channels() != model.input().channels ||
      st->height() < 1 || st->height() > 4096 || st->width() < 1 || st->width() > 4096) {
    return invalid("input shape " + std::to_string(st->batch()) + " x " +
                   std::to_string(st->channels()) + " x " + std::to_string(st->height()) + " x " +
                   std::to_string(st->width()) + " is out of range");
  }
  c.shape = {st->batch(), st->channels(), st->height(), st->width()};
  // At most 64 x 3 x 4096 x 4096 (< 2^32) inputs and 64 x 2^24 logits: no overflow in int64.
  const int64_t in_count = c.shape.n * c.shape.c * c.shape.h * c.shape.w;
  const int64_t out_count = c.shape.n * c.classes;
  if (st->input() == nullptr || int64_t(st->input()->size()) != in_count) {
    return invalid("input holds " + std::to_string(st->input() ? st->input()->size() : 0) +
                   " floats, its shape needs " + std::to_string(in_count));
  }
  if (st->logits() == nullptr || int64_t(st->logits()->size()) != out_count) {
    return invalid("logits hold " + std::to_string(st->logits() ? st->logits()->size() : 0) +
                   " floats, " + std::to_string(c.shape.n) + " x " + std::to_string(c.classes) +
                   " classes needs " + std::to_string(out_count));
  }
  c.tolerance = st->tolerance();
  if (!(c.tolerance >= 0) || !std::isfinite(c.tolerance)) {
    return invalid("tolerance " + std::to_string(c.tolerance) + " is not a finite number >= 0");
  }
  c.input = copy_floats(*st->input());
  c.logits = copy_floats(*st->logits());
  c.seed = st->seed();
  if (st->generator()) c.generator = st->generator()->str();
  return c;
}

Result<SelfTestReport> run_selftest(std::shared_ptr<const Model> model, int threads) {
  if (!model) return Status(Code::kInvalidArgument, "null model");
  Result<SelfTestCase> c = read_selftest(*model);
  if (!c) return c.status();
  SessionOptions options;
  options.threads = threads;
  auto session = Session::create(model, options);
  if (!session) return session.status();
  std::vector<float> out(c->logits.size(), NAN);
  const Status run = (*session)->run(c->shape, c->input.data(), out.data());
  if (!run) return Status(run.code(), "self-test: " + run.message());

  SelfTestReport r;
  r.shape = c->shape;
  r.classes = c->classes;
  r.threads = (*session)->threads();
  r.tolerance = c->tolerance;
  r.argmax_equal = true;
  for (int64_t row = 0; row < c->shape.n; ++row) {
    const float* got = out.data() + row * c->classes;
    const float* want = c->logits.data() + row * c->classes;
    for (int64_t k = 0; k < c->classes; ++k) {
      const double d = std::fabs(double(got[k]) - double(want[k]));
      r.max_diff = std::max(r.max_diff, std::isnan(d) ? double(INFINITY) : d);
      r.max_abs_logit = std::max(r.max_abs_logit, double(std::fabs(want[k])));
    }
    r.argmax_equal = r.argmax_equal && std::max_element(got, got + c->classes) - got ==
                                           std::max_element(want, want + c->classes) - want;
  }
  r.passed = r.max_diff <= r.tolerance;
  return r;
}

}  // namespace tvlite
