// Every input that once crashed the fuzzer (tests/fuzz_regressions/) opens to a clean error or
// runs one inference, in the normal suite too, so the sanitizer builds re-check them each run.
// A .hdr.tvl is a header without its data region: it is zero-extended to the size it declares,
// as fuzz/fuzz_model does.
#include <doctest/doctest.h>
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/tvl_builder.h"
#include "tvlite/model.h"
#include "tvlite/schema/tvlite_generated.h"
#include "tvlite/session.h"

namespace {

const std::string kDir = std::string(TVLITE_SOURCE_DIR) + "/tests/fuzz_regressions";

std::vector<std::string> inputs() {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(kDir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tvl") == 0) names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<uint8_t> load(const std::string& name) {
  std::ifstream in(kDir + "/" + name, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (name.find(".hdr.") != std::string::npos && bytes.size() >= 8) {
    flatbuffers::Verifier v(bytes.data(), bytes.size());
    if (tvlite::fb::VerifyModelBuffer(v)) {
      const auto* m = tvlite::fb::GetModel(bytes.data());
      const uint64_t want = m->data_offset() + m->data_length();
      if (want > bytes.size() && want < (uint64_t(64) << 20)) bytes.resize(size_t(want), 0);
    }
  }
  return bytes;
}

}  // namespace

TEST_CASE("inputs that crashed the fuzzer are clean errors or clean runs") {
  const std::vector<std::string> names = inputs();
  REQUIRE(names.size() >= 4);
  for (const std::string& name : names) {
    CAPTURE(name);
    const tvlite::test::AlignedBytes bytes(load(name));
    auto model = tvlite::Model::from_buffer(bytes.data(), bytes.size());
    if (!model) {
      CHECK_FALSE(model.status().message().empty());
      continue;
    }
    auto session = tvlite::Session::create(*model);
    REQUIRE(session);
    std::vector<float> in(3 * 32 * 32, 0.25f), out(size_t((*session)->num_classes()));
    const tvlite::Status st = (*session)->run({1, 3, 32, 32}, in.data(), out.data());
    CHECK((st.is_ok() || !st.message().empty()));
  }
}
