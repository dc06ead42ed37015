// The readers through the library API: the traps of TRAPS.md 1-6 and 18, and the unpickler.
#include <doctest/doctest.h>

#include <cstring>

#include "fixtures.h"
#include "read/torch_objects.h"
#include "read/unpickler.h"
#include "tvlite/exporter/read.h"

using namespace tvlite::exporter;
using tvlite::test::crc32;
using tvlite::test::fixture;
using tvlite::test::read_ref;

namespace {

const Tensor* find(const StateDict& sd, const std::string& name) {
  for (const Tensor& t : sd)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<float> floats(const Tensor& t) {
  REQUIRE(t.dtype == ElementType::kF32);
  std::vector<float> v(t.data.size() / 4);
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

// The reader's tensors equal the python reference (float32 ones byte for byte).
void check_against_ref(const StateDict& sd, const std::string& ref_name) {
  std::vector<tvlite::test::RefTensor> ref = read_ref(ref_name);
  REQUIRE(sd.size() == ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    CAPTURE(ref[i].name);
    CHECK(sd[i].name == ref[i].name);
    CHECK(sd[i].shape == ref[i].shape);
    if (sd[i].dtype == ElementType::kF32 || sd[i].dtype == ElementType::kI64)
      CHECK(crc32(sd[i].data.data(), sd[i].data.size()) == ref[i].crc);
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ExportError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("channels_last weights are read through their strides (TRAPS 1)") {
  StateDict sd = read_model_file(fixture("trap1_channels_last.pth"));
  REQUIRE(sd.size() == 1);
  CHECK(sd[0].shape == std::vector<int64_t>{8, 3, 3, 3});
  check_against_ref(sd, "trap1_channels_last");
}

TEST_CASE("views sharing one storage give only their own elements (TRAPS 2)") {
  StateDict sd = read_model_file(fixture("trap2_views.pth"));
  REQUIRE(sd.size() == 2);
  const Tensor* a = find(sd, "a");
  const Tensor* b = find(sd, "b");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->shape == std::vector<int64_t>{1000});
  CHECK(b->shape == std::vector<int64_t>{2});
  std::vector<float> av = floats(*a), bv = floats(*b);
  REQUIRE(av.size() == 1000);
  for (int i = 0; i < 1000; ++i) REQUIRE(av[i] == float(1000 + i) * 0.5f);
  CHECK(bv == std::vector<float>{2.5f, 3.0f});
}

TEST_CASE("parameters wrapped by _rebuild_parameter are all recovered (TRAPS 3)") {
  StateDict sd = read_model_file(fixture("trap3_params.pth"));
  CHECK(sd.size() == 62);  // resnet18's named_parameters()
  check_against_ref(sd, "trap3_params");
}

TEST_CASE("half and bfloat16 keep their 2-byte elements when read (TRAPS 5)") {
  StateDict sd = read_model_file(fixture("trap5_half.pth"));
  const Tensor* w = find(sd, "conv1.weight");
  REQUIRE(w);
  CHECK(w->dtype == ElementType::kF16);
  CHECK(w->data.size() == 64 * 3 * 7 * 7 * 2);
  sd = read_model_file(fixture("trap5_bf16.pth"));
  REQUIRE(find(sd, "fc.weight"));
  CHECK(find(sd, "fc.weight")->dtype == ElementType::kBF16);
  CHECK(find(sd, "bn1.num_batches_tracked")->dtype == ElementType::kI64);
}

TEST_CASE("zip, legacy and TorchScript containers give identical tensors (TRAPS 6)") {
  CHECK(sniff_container(fixture("resnet18_c10.pth")) == Container::kZipStateDict);
  CHECK(sniff_container(fixture("resnet18_script.pt")) == Container::kTorchScript);
  CHECK(sniff_container(fixture("resnet18_legacy.pth")) == Container::kLegacy);
  const StateDict zip = read_zip_state_dict(fixture("ckpt_model.pth"));
  const StateDict script = read_torchscript(fixture("resnet18_script.pt"));
  const StateDict legacy = read_legacy(fixture("resnet18_legacy.pth"));
  check_against_ref(zip, "resnet18");
  REQUIRE(script.size() == zip.size());
  REQUIRE(legacy.size() == zip.size());
  for (size_t i = 0; i < zip.size(); ++i) {
    CAPTURE(zip[i].name);
    CHECK(script[i].name == zip[i].name);
    CHECK(script[i].dtype == zip[i].dtype);
    CHECK(script[i].shape == zip[i].shape);
    CHECK(script[i].data == zip[i].data);
    CHECK(legacy[i].name == zip[i].name);
    CHECK(legacy[i].data == zip[i].data);
  }
  // The wrong reader says what the file is.
  CHECK(error_of([] {
          read_zip_state_dict(fixture("resnet18_script.pt"));
        }).find("TorchScript archive") != std::string::npos);
  CHECK(error_of([] {
          read_torchscript(fixture("resnet18_c10.pth"));
        }).find("not a TorchScript archive") != std::string::npos);
}

TEST_CASE("storage bounds are checked with overflow-safe arithmetic (TRAPS 18)") {
  std::vector<float> storage(9407, 1.0f);
  const auto* p = reinterpret_cast<const uint8_t*>(storage.data());
  Tensor t;
  t.dtype = ElementType::kF32;
  CHECK(error_of([&] {
          copy_strided(p, 9407 * 4, 0, {64, 3, 7, 7}, {147, 49, 7, 1}, &t);
        }).find("past the end") != std::string::npos);
  CHECK_NOTHROW(copy_strided(p, 9407 * 4, 0, {9407}, {1}, &t));
  CHECK(t.data.size() == 9407 * 4);
  CHECK(error_of([&] { copy_strided(p, 9407 * 4, 9000, {408}, {1}, &t); }).find("past the end") !=
        std::string::npos);
  CHECK(error_of([&] {
          copy_strided(p, 9407 * 4, 0, {int64_t(1) << 62, 4}, {1, 1}, &t);
        }).find("impossibly large") != std::string::npos);
  CHECK(error_of([&] {
          copy_strided(p, 9407 * 4, 0, {2, 2}, {int64_t(1) << 62, 1}, &t);
        }).find("past the end") != std::string::npos);
  CHECK(error_of([&] { copy_strided(p, 9407 * 4, -1, {2}, {1}, &t); }).find("negative") !=
        std::string::npos);
  CHECK_NOTHROW(copy_strided(p, 0, 0, {0, 5}, {5, 1}, &t));  // empty tensors address nothing
  CHECK(t.data.empty());
}

TEST_CASE("the unpickler is strict and names the opcode and offset") {
  auto parse = [](const std::string& bytes) {
    size_t pos = 0;
    return pickle::unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &pos);
  };
  // {'a': [1, -2, 3.5, True, None, b'x']} at protocol 2.
  const std::string ok(
      "\x80\x02}q\x00X\x01\x00\x00\x00"
      "aq\x01]q\x02(K\x01J\xfe\xff\xff\xff"
      "G@\x0c\x00\x00\x00\x00\x00\x00\x88NC\x01"
      "xes.",
      41);
  pickle::Ref v = parse(ok);
  REQUIRE(v->kind == pickle::Value::Kind::kDict);
  REQUIRE(v->dict.size() == 1);
  const pickle::Value& list = *v->dict[0].second;
  REQUIRE(list.items.size() == 6);
  CHECK(list.items[0]->i == 1);
  CHECK(list.items[1]->i == -2);
  CHECK(list.items[2]->f == 3.5);
  CHECK(list.items[3]->b);
  CHECK(list.items[4]->kind == pickle::Value::Kind::kNone);
  CHECK(list.items[5]->s == "x");
  CHECK(error_of([&] { parse(std::string("\x80\x02I1\n.", 5)); }) ==
        "pickle opcode 0x49 (INT) at byte 2: is not supported by tvlite-export's unpickler");
  CHECK(error_of([&] { parse(std::string("\x80\x02X\xff\x00\x00\x00" "ab", 9)); }).find("truncated") !=
        std::string::npos);
  CHECK(error_of([&] { parse(std::string("\x80\x02}", 3)); }).find("without STOP") !=
        std::string::npos);
  CHECK(error_of([&] { parse(std::string("\x80\x02h\x05.", 5)); }).find("never stored") !=
        std::string::npos);
  CHECK(error_of([&] { parse(std::string("\x80\x02s.", 4)); }).find("underflow") !=
        std::string::npos);
  CHECK(error_of([&] { parse(std::string("\x80\x09.", 3)); }).find("protocol 9") !=
        std::string::npos);
  // Random bytes never crash it.
  uint32_t seed = 12345;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string junk = "\x80\x02";
    for (int k = 0; k < 40; ++k) {
      seed = seed * 1103515245u + 12345u;
      junk += char(seed >> 24);
    }
    try {
      parse(junk);
    } catch (const ExportError&) {
    }
  }
}
