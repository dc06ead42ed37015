// Architecture detection and strict checking, and the manifest against torchvision itself.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "tvlite/exporter/check.h"
#include "tvlite/exporter/detect.h"

using namespace tvlite::exporter;
using tvlite::test::read_ref;

namespace {

// A state dict with the names and shapes of a reference, no data.
StateDict from_ref(const std::string& name) {
  StateDict sd;
  for (const auto& r : read_ref(name)) {
    Tensor t;
    t.name = r.name;
    t.shape = r.shape;
    t.dtype = r.dtype == "int64" ? ElementType::kI64 : ElementType::kF32;
    sd.push_back(t);
  }
  return sd;
}

std::string error_of(const StateDict& sd, const std::string& arch = "") {
  try {
    detect_arch(sd, arch);
  } catch (const ExportError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("the manifest lists torchvision's state_dict() exactly, in order") {
  for (const char* arch :
       {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "alexnet"}) {
    CAPTURE(arch);
    tvlite::schema::ArchConfig a;
    REQUIRE(tvlite::schema::arch_by_name(arch, 1000, &a));
    const auto manifest = tvlite::schema::arch_manifest(a);
    const auto ref = read_ref(arch);
    REQUIRE(manifest.size() == ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      CHECK(manifest[i].name == ref[i].name);
      CHECK(manifest[i].shape == ref[i].shape);
      CHECK((manifest[i].kind == tvlite::schema::EntryKind::kCounter) == (ref[i].dtype == "int64"));
    }
  }
}

TEST_CASE("detection from keys and shapes") {
  for (const char* arch :
       {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "alexnet"}) {
    CAPTURE(arch);
    const StateDict sd = from_ref(arch);
    tvlite::schema::ArchConfig a = detect_arch(sd);
    CHECK(a.name == arch);
    CHECK(a.num_classes == 1000);
    CHECK(check_state_dict(sd, a).empty());
  }
  CHECK(detect_arch(from_ref("resnet18_c10")).num_classes == 10);
  CHECK(detect_arch(from_ref("alexnet_c10")).num_classes == 10);
  CHECK(detect_arch(from_ref("alexnet_c10"), "alexnet").num_classes == 10);
  CHECK(error_of(from_ref("resnet18"), "vgg17")
            .find("unknown architecture 'vgg17'; supported: resnet18") != std::string::npos);
  StateDict odd = from_ref("resnet18");
  Tensor extra;
  extra.name = "layer1.2.conv1.weight";  // a third block in stage 1
  odd.push_back(extra);
  CHECK(error_of(odd).find("basic blocks [3, 2, 2, 2]") != std::string::npos);
  StateDict none;
  CHECK(error_of(none).find("supported architectures: resnet18") != std::string::npos);
}

TEST_CASE("strict checking names every problem") {
  tvlite::schema::ArchConfig a;
  REQUIRE(tvlite::schema::arch_by_name("resnet18", 1000, &a));
  StateDict sd = from_ref("resnet18_c10");  // fc has 10 rows
  std::vector<std::string> p = check_state_dict(sd, a);
  REQUIRE(p.size() == 2);
  CHECK(p[0] == "size mismatch for fc.weight: file has [10, 512], resnet18 expects [1000, 512]");
  CHECK(p[1] == "size mismatch for fc.bias: file has [10], resnet18 expects [1000]");

  sd = from_ref("resnet18");
  sd.erase(sd.begin());             // conv1.weight
  sd[0].dtype = ElementType::kI32;  // bn1.weight
  Tensor extra;
  extra.name = "head.weight";
  extra.shape = {3};
  sd.push_back(extra);
  p = check_state_dict(sd, a);
  REQUIRE(p.size() == 3);
  CHECK(p[0] == "missing key conv1.weight (resnet18 expects [64, 3, 7, 7])");
  CHECK(p[1] == "unexpected key head.weight [3] (not part of resnet18)");
  CHECK(p[2] ==
        "dtype mismatch for bn1.weight: file has int32, resnet18 expects a floating-point tensor");
}
