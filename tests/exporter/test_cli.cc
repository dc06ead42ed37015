// tvlite-export as a user runs it: every architecture exported and compared bit-exactly with
// PyTorch's tensors, the .tvl byte layout (schema/README.md), and every error path.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "fixtures.h"
#include "tvlite/schema/tvlite_generated.h"

using namespace tvlite::test;

namespace {

// Checks a .tvl against schema/README.md and against the python reference of its tensors.
void check_tvl(const std::string& path, const std::vector<RefTensor>& ref, const std::string& arch,
               int num_classes) {
  const std::vector<uint8_t> file = read_file(path);
  REQUIRE(file.size() >= 64);
  flatbuffers::Verifier verifier(file.data(), file.size());
  REQUIRE(tvlite::fb::VerifyModelBuffer(verifier));
  REQUIRE(std::memcmp(file.data() + 4, "TVLT", 4) == 0);
  const tvlite::fb::Model* m = tvlite::fb::GetModel(file.data());
  CHECK(m->format_major() == 1);
  CHECK(m->format_minor() == 2);
  CHECK(m->alignment() == 64);
  // The self-test (format 1.2): PyTorch's logits for a seeded 1 x 3 x 64 x 64 input.
  const tvlite::fb::SelfTest* st = m->selftest();
  REQUIRE(st);
  CHECK(st->batch() == 1);
  CHECK(st->channels() == 3);
  CHECK(st->height() == 64);
  CHECK(st->width() == 64);
  REQUIRE(st->input());
  CHECK(st->input()->size() == 3 * 64 * 64);
  REQUIRE(st->logits());
  CHECK(int(st->logits()->size()) == num_classes);
  float max_abs = 0;
  for (float v : *st->logits()) max_abs = std::max(max_abs, std::fabs(v));
  CHECK(st->tolerance() == doctest::Approx(1e-4 * std::max(1.0f, max_abs)));
  CHECK(st->seed() == 0x74766c697465ull);
  REQUIRE(st->generator());
  CHECK(st->generator()->str().rfind("libtorch 1.13.1: ", 0) == 0);
  REQUIRE(m->producer());
  CHECK(m->producer()->str().rfind("tvlite-export ", 0) == 0);
  CHECK(m->producer()->str().find("(libtorch 1.13.1)") != std::string::npos);
  CHECK(m->arch()->name()->str() == arch);
  if (arch == "alexnet") {
    CHECK(m->arch()->family() == tvlite::fb::Family::AlexNet);
    REQUIRE(m->arch()->alexnet());
    CHECK(m->arch()->alexnet()->num_classes() == num_classes);
  } else {
    CHECK(m->arch()->family() == tvlite::fb::Family::ResNet);
    REQUIRE(m->arch()->resnet());
    CHECK(m->arch()->resnet()->num_classes() == num_classes);
    CHECK(m->arch()->resnet()->layers()->size() == 4);
    CHECK(m->arch()->resnet()->groups() == 1);
    CHECK(m->arch()->resnet()->width_per_group() == 64);
  }
  REQUIRE(m->input());
  CHECK(m->input()->channels() == 3);
  CHECK(m->input()->height() == 224);
  CHECK(m->input()->resize() == 256);
  REQUIRE(m->input()->mean()->size() == 3);
  CHECK(m->input()->mean()->Get(0) == 0.485f);
  CHECK(m->input()->std()->Get(2) == 0.225f);

  const uint64_t data_offset = m->data_offset();
  CHECK(data_offset % 64 == 0);
  CHECK(data_offset + m->data_length() == file.size());
  CHECK(file.size() % 64 == 0);
  REQUIRE(m->tensors()->size() == ref.size());
  uint64_t prev_end = data_offset;
  for (size_t i = 0; i < ref.size(); ++i) {
    const tvlite::fb::Tensor* t = m->tensors()->Get(i);
    CAPTURE(ref[i].name);
    REQUIRE(t->name()->str() == ref[i].name);
    CHECK(t->dtype() ==
          (ref[i].dtype == "int64" ? tvlite::fb::DType::I64 : tvlite::fb::DType::F32));
    std::vector<int64_t> shape(t->shape()->begin(), t->shape()->end());
    CHECK(shape == ref[i].shape);
    CHECK(t->offset() % 64 == 0);
    CHECK(t->offset() >= prev_end);
    REQUIRE(t->length() == ref[i].nbytes);
    REQUIRE(t->offset() + t->length() <= file.size());
    for (uint64_t b = prev_end; b < t->offset(); ++b) REQUIRE(file[b] == 0);
    const uint8_t* bytes = file.data() + t->offset();
    CHECK(XXH3_64bits(bytes, t->length()) == t->checksum());
    CHECK(crc32(bytes, t->length()) == ref[i].crc);  // bit-exact with PyTorch
    prev_end = t->offset() + t->length();
  }
  CHECK((prev_end + 63) / 64 * 64 == file.size());
}

void export_and_check(const std::string& fixture_name, const std::string& ref_name,
                      const std::string& arch, int num_classes, const std::string& ext = ".pth",
                      const std::vector<std::string>& extra = {}) {
  const std::string out = scratch(fixture_name + ".tvl");
  std::vector<std::string> args = {fixture(fixture_name + ext), "-o", out};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = run_export(args);
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK(r.err.empty());
  check_tvl(out, read_ref(ref_name), arch, num_classes);
}

void expect_failure(const std::vector<std::string>& args, const std::string& output,
                    const std::string& message) {
  RunResult r = run_export(args);
  INFO(r.err);
  CHECK(r.rc == 1);
  REQUIRE(!r.err.empty());
  size_t start = 0;
  while (start < r.err.size()) {
    CHECK(r.err.compare(start, 7, "error: ") == 0);
    start = r.err.find('\n', start);
    if (start == std::string::npos) break;
    ++start;
  }
  CHECK(r.err.find(message) != std::string::npos);
  if (!output.empty()) CHECK(!file_exists(output));
}

}  // namespace

TEST_CASE("every architecture exports bit-exactly from a zip state dict") {
  for (const char* arch :
       {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "alexnet"}) {
    SUBCASE(arch) { export_and_check(arch, arch, arch, 1000); }
  }
  SUBCASE("resnet18, 10 classes") {
    export_and_check("resnet18_c10", "resnet18_c10", "resnet18", 10);
  }
  SUBCASE("alexnet, 10 classes") { export_and_check("alexnet_c10", "alexnet_c10", "alexnet", 10); }
}

TEST_CASE("checkpoints, prefixes and the traps export the same tensors") {
  SUBCASE("checkpoint dict under state_dict") {
    export_and_check("ckpt_state_dict", "resnet18", "resnet18", 1000);
  }
  SUBCASE("checkpoint dict under model") {
    export_and_check("ckpt_model", "resnet18", "resnet18", 1000);
  }
  SUBCASE("DataParallel module. prefix") {
    export_and_check("module_prefix", "resnet18", "resnet18", 1000);
  }
  SUBCASE("--prefix: the network kept as `backbone` inside a module with a head of its own") {
    export_and_check("backbone_in_module", "resnet18", "resnet18", 1000, ".pth",
                     {"--prefix", "backbone."});
  }
  SUBCASE("--prefix as the file spells it, with the `model.` every key shares") {
    export_and_check("model_backbone", "resnet18", "resnet18", 1000, ".pth",
                     {"--prefix", "model.backbone."});
  }
  SUBCASE("--prefix names a module: the trailing dot is optional") {
    export_and_check("backbone_in_module", "resnet18", "resnet18", 1000, ".pth",
                     {"--prefix=backbone"});
  }
  SUBCASE("TorchScript archive (TRAPS 6)") {
    export_and_check("resnet18_script", "resnet18", "resnet18", 1000, ".pt");
  }
  SUBCASE("legacy non-zip torch.save (TRAPS 6)") {
    export_and_check("resnet18_legacy", "resnet18", "resnet18", 1000);
  }
  SUBCASE("channels_last weights (TRAPS 1)") {
    export_and_check("resnet18_channels_last", "resnet18_channels_last", "resnet18", 1000);
  }
  SUBCASE("parameters wrapped by _rebuild_parameter (TRAPS 3)") {
    export_and_check("trap3_wrapped_state_dict", "trap3_wrapped_state_dict", "resnet18", 1000);
  }
  SUBCASE("a whole pickled model, read from its module tree") {
    export_and_check("bad_whole_model", "resnet18", "resnet18", 1000);
  }
  SUBCASE("no num_batches_tracked (TRAPS 4)") {
    export_and_check("trap4_no_counters", "trap4_no_counters", "resnet18", 1000);
  }
  SUBCASE("float16 widened exactly with --dtype f32 (TRAPS 5)") {
    export_and_check("trap5_half", "trap5_half", "resnet18", 1000, ".pth", {"--dtype", "f32"});
  }
  SUBCASE("bfloat16 widened exactly with --dtype f32 (TRAPS 5)") {
    export_and_check("trap5_bf16", "trap5_bf16", "resnet18", 1000, ".pth", {"--dtype", "f32"});
  }
}

TEST_CASE("the container decides, not the extension (TRAPS 6)") {
  // A zip state dict named .pt and a TorchScript archive named .pth.
  const std::string zip_pt = scratch("renamed_state_dict.pt");
  const std::string script_pth = scratch("renamed_script.pth");
  std::ofstream(zip_pt, std::ios::binary)
      << std::ifstream(fixture("resnet18.pth"), std::ios::binary).rdbuf();
  std::ofstream(script_pth, std::ios::binary)
      << std::ifstream(fixture("resnet18_script.pt"), std::ios::binary).rdbuf();
  for (const std::string& in : {zip_pt, script_pth}) {
    CAPTURE(in);
    const std::string out = in + ".tvl";
    RunResult r = run_export({in, "-o", out});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    check_tvl(out, read_ref("resnet18"), "resnet18", 1000);
  }
  // All three containers give byte-identical files.
  CHECK(read_file(zip_pt + ".tvl") == read_file(script_pth + ".tvl"));
}

TEST_CASE("options reach the file") {
  const std::string labels = scratch("labels.txt");
  {
    std::ofstream f(labels);
    for (int i = 0; i < 10; ++i) f << "class " << i << "\n";
  }
  const std::string out = scratch("options.tvl");
  RunResult r = run_export({fixture("resnet18_c10.pth"), "-o", out, "--labels", labels, "--mean",
                            "0.5,0.5,0.5", "--std=0.25,0.5,1", "--input-size", "160,192", "--arch",
                            "resnet18"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const std::vector<uint8_t> file = read_file(out);
  flatbuffers::Verifier verifier(file.data(), file.size());
  REQUIRE(tvlite::fb::VerifyModelBuffer(verifier));
  const tvlite::fb::InputSpec* in = tvlite::fb::GetModel(file.data())->input();
  CHECK(in->height() == 160);
  CHECK(in->width() == 192);
  CHECK(in->resize() == 182);
  CHECK(in->mean()->Get(1) == 0.5f);
  CHECK(in->std()->Get(0) == 0.25f);
  REQUIRE(in->labels());
  REQUIRE(in->labels()->size() == 10);
  CHECK(in->labels()->Get(9)->str() == "class 9");
}

TEST_CASE("--no-selftest leaves the self-test out; the input is the same on every export") {
  const std::string with = scratch("selftest_with.tvl"), without = scratch("selftest_without.tvl");
  REQUIRE(run_export({fixture("resnet18_c10.pth"), "-o", with}).rc == 0);
  RunResult r = run_export({fixture("resnet18_c10.pth"), "-o", without, "--no-selftest"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  const std::vector<uint8_t> a = read_file(with), b = read_file(without);
  const tvlite::fb::Model* ma = tvlite::fb::GetModel(a.data());
  const tvlite::fb::Model* mb = tvlite::fb::GetModel(b.data());
  REQUIRE(ma->selftest());
  CHECK(mb->selftest() == nullptr);
  CHECK(mb->format_minor() == 2);
  CHECK(a.size() > b.size());
  CHECK(a.size() - b.size() < 64 * 1024);  // 48 KiB of input, 10 logits, padding
  // Seeded: a second export stores the same input and logits, byte for byte.
  REQUIRE(run_export({fixture("resnet18_c10.pth"), "-o", without}).rc == 0);
  CHECK(read_file(without) == a);
  expect_failure({fixture("resnet18_c10.pth"), "-o", without, "--no-selftest=1"}, "",
                 "--no-selftest takes no value");
}

TEST_CASE("every failure: exit 1, error: lines, no output file") {
  const std::string out = scratch("failed.tvl");
  SUBCASE("missing key") {
    expect_failure({fixture("bad_missing.pth"), "-o", out}, out, "missing key fc.bias");
  }
  SUBCASE("unexpected key") {
    expect_failure({fixture("bad_unexpected.pth"), "-o", out}, out, "unexpected key extra.weight");
  }
  SUBCASE("size mismatch") {
    expect_failure({fixture("bad_shape.pth"), "-o", out}, out,
                   "size mismatch for layer1.0.conv1.weight: file has [64, 64, 5, 5], resnet18 "
                   "expects [64, 64, 3, 3]");
  }
  SUBCASE("integer dtype for a float entry") {
    expect_failure({fixture("bad_dtype.pth"), "-o", out}, out, "dtype mismatch for fc.bias");
  }
  SUBCASE("--arch forcing the wrong ResNet") {
    expect_failure({fixture("resnet50.pth"), "-o", out, "--arch", "resnet18"}, out,
                   "unexpected key layer1.0.conv3.weight [256, 64, 1, 1] (not part of resnet18)");
  }
  SUBCASE("unknown --arch") {
    expect_failure({fixture("resnet18.pth"), "-o", out, "--arch", "resnet999"}, out,
                   "unknown architecture 'resnet999'; supported: resnet18, resnet34, resnet50, "
                   "resnet101, resnet152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d, "
                   "wide_resnet50_2, wide_resnet101_2, alexnet, vgg11, vgg11_bn, vgg13, vgg13_bn, "
                   "vgg16, vgg16_bn, vgg19, vgg19_bn");
  }
  SUBCASE("unrecognised architecture") {
    expect_failure({fixture("bad_unknown_arch.pth"), "-o", out}, out, "encoder.layers.0.weight");
  }
  SUBCASE("a network inside a module: the error names --prefix") {
    expect_failure({fixture("backbone_in_module.pth"), "-o", out}, out,
                   "the keys under 'backbone.' look like a network tvlite knows: pass --prefix "
                   "backbone.");
  }
  SUBCASE("--prefix with no module name") {
    expect_failure({fixture("backbone_in_module.pth"), "-o", out, "--prefix", ""}, out,
                   "--prefix needs a module name");
    expect_failure({fixture("backbone_in_module.pth"), "-o", out, "--prefix=."}, out,
                   "--prefix needs a module name");
  }
  SUBCASE("--prefix twice") {
    expect_failure({fixture("backbone_in_module.pth"), "-o", out, "--prefix", "head.", "--prefix",
                    "backbone."},
                   out, "--prefix given twice");
  }
  SUBCASE("--prefix naming no key") {
    expect_failure({fixture("backbone_in_module.pth"), "-o", out, "--prefix", "encoder."}, out,
                   "--prefix encoder.: no key starts with it; prefixes holding a model tvlite "
                   "knows: backbone.");
  }
  SUBCASE("a pickled list") {
    expect_failure({fixture("bad_list.pth"), "-o", out}, out, "holds a list");
  }
  SUBCASE("a plain pickle") {
    expect_failure({fixture("bad_plain.pkl"), "-o", out}, out, "plain Python pickle");
  }
  SUBCASE("dims promise more than the data (TRAPS 18)") {
    expect_failure({fixture("trap18_short.pth"), "-o", out}, out, "9408 elements");
  }
  SUBCASE("storage offset past the storage") {
    expect_failure({fixture("bad_offset.pth"), "-o", out}, out, "storage '0'");
  }
  SUBCASE("zip without data.pkl") {
    expect_failure({fixture("bad_no_data_pkl.pth"), "-o", out}, out, "without data.pkl");
  }
  SUBCASE("truncated zip") {
    expect_failure({fixture("bad_truncated.pth"), "-o", out}, out, "truncated");
  }
  SUBCASE("garbage") {
    expect_failure({fixture("bad_garbage.pth"), "-o", out}, out, "not a PyTorch file");
  }
  SUBCASE("empty file") { expect_failure({fixture("bad_empty.pth"), "-o", out}, out, "is empty"); }
  SUBCASE("missing file") {
    expect_failure({fixture("no_such_file.pth"), "-o", out}, out, "No such file");
  }
  SUBCASE("a directory") { expect_failure({fixture_dir(), "-o", out}, out, "is a directory"); }
  SUBCASE("output in a missing folder") {
    const std::string o = scratch("no/such/folder/x.tvl");
    expect_failure({fixture("resnet18.pth"), "-o", o}, o, "cannot write into");
  }
  SUBCASE("output is a directory") {
    expect_failure({fixture("resnet18_c10.pth"), "-o", fixture_dir()}, "", "is a directory");
  }
  SUBCASE("output is a FIFO or a symlink: refused, left as it was") {
    const std::string fifo = scratch("out_fifo.tvl");
    ::unlink(fifo.c_str());
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    expect_failure({fixture("resnet18_c10.pth"), "-o", fifo}, "", "not a regular file");
    struct stat st;
    REQUIRE(::lstat(fifo.c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));  // still the FIFO, not replaced by a file
    const std::string link = scratch("out_link.tvl");
    ::unlink(link.c_str());
    REQUIRE(::symlink(fifo.c_str(), link.c_str()) == 0);
    expect_failure({fixture("resnet18_c10.pth"), "-o", link}, "", "symbolic link");
    REQUIRE(::lstat(link.c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    expect_failure({"--to-pth", fixture("resnet18_c10.pth"), "-o", fifo}, "", "not a regular file");
    ::unlink(link.c_str());
    ::unlink(fifo.c_str());
  }
  SUBCASE("input or labels that are a FIFO: refused at once, not waited on") {
    const std::string fifo = scratch("in_fifo.pth");
    ::unlink(fifo.c_str());
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    expect_failure({fifo, "-o", out}, out, "not a regular file");
    expect_failure({fixture("resnet18_c10.pth"), "-o", out, "--labels", fifo}, out,
                   "not a regular file");
    ::unlink(fifo.c_str());
  }
  SUBCASE("no output given") { expect_failure({fixture("resnet18.pth")}, "", "no output file"); }
  SUBCASE("bad option values") {
    expect_failure({fixture("resnet18.pth"), "-o", out, "--mean", "1,2"}, out,
                   "three comma-separated");
    expect_failure({fixture("resnet18.pth"), "-o", out, "--std", "1,0,1"}, out, "positive");
    expect_failure({fixture("resnet18.pth"), "-o", out, "--bogus"}, out, "unknown option --bogus");
  }
  SUBCASE("labels that do not match the classes") {
    const std::string labels = scratch("three_labels.txt");
    std::ofstream(labels) << "a\nb\nc\n";
    expect_failure({fixture("resnet18_c10.pth"), "-o", out, "--labels", labels}, out,
                   "has 3 labels");
  }
}

TEST_CASE("a failed export leaves an existing output untouched, and no temporary behind") {
  const std::string out = scratch("existing.tvl");
  std::ofstream(out) << "precious";
  for (const char* bad :
       {"bad_missing.pth", "bad_truncated.pth", "bad_garbage.pth", "trap18_short.pth"}) {
    CAPTURE(bad);
    RunResult r = run_export({fixture(bad), "-o", out});
    CHECK(r.rc == 1);
    std::vector<uint8_t> now = read_file(out);
    CHECK(std::string(now.begin(), now.end()) == "precious");
  }
  // Success replaces it; the folder then holds no temporary files.
  RunResult r = run_export({fixture("trap4_no_counters.pth"), "-o", out});
  REQUIRE(r.rc == 0);
  check_tvl(out, read_ref("trap4_no_counters"), "resnet18", 1000);
  std::string listing_cmd =
      "ls -a '" + scratch("") + "' | grep -c 'tmp-' > '" + scratch("tmpcount") + "'";
  CHECK(std::system(listing_cmd.c_str()) != -1);
  std::vector<uint8_t> count = read_file(scratch("tmpcount"));
  CHECK(std::string(count.begin(), count.end()) == "0\n");
}

TEST_CASE("the output may not be the input, and every written file is one the runtime takes") {
  // Exporting onto the input would destroy the user's weights.
  const std::string same = scratch("same.pth");
  const std::vector<uint8_t> original = read_file(fixture("trap4_no_counters.pth"));
  std::ofstream(same, std::ios::binary)
      .write(reinterpret_cast<const char*>(original.data()), std::streamsize(original.size()));
  RunResult r = run_export({same, "-o", same});
  CHECK(r.rc == 1);
  CHECK(r.err.find("is the input file") != std::string::npos);
  CHECK(read_file(same) == original);
  // A large --input-size gets a resize the runtime still accepts (at most 16384).
  const std::string big = scratch("big_input.tvl");
  r = run_export({fixture("trap4_no_counters.pth"), "-o", big, "--input-size", "14400"});
  REQUIRE_MESSAGE(r.rc == 0, r.err);
  const std::string inspect = std::string(TVLITE_BIN_DIR) + "/tvlite-inspect '" + big + "' >/dev/null";
  CHECK(std::system(inspect.c_str()) == 0);
}

TEST_CASE("--to-pth and --dtype on bad input: exit 1, error: lines, no output file") {
  const std::string out = scratch("back.pth");
  SUBCASE("not a .tvl") {
    expect_failure({"--to-pth", fixture("bad_garbage.pth"), "-o", out}, out, "is not a .tvl file");
  }
  SUBCASE("a truncated .tvl") {
    const std::string good = scratch("for_truncation.tvl");
    REQUIRE(run_export({fixture("trap4_no_counters.pth"), "-o", good}).rc == 0);
    std::vector<uint8_t> bytes = read_file(good);
    bytes.resize(bytes.size() / 2);
    const std::string cut = scratch("truncated.tvl");
    std::ofstream(cut, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    expect_failure({"--to-pth", cut, "-o", out}, out, "truncated.tvl");
  }
  SUBCASE("a missing .tvl") {
    expect_failure({"--to-pth", scratch("none.tvl"), "-o", out}, out, "cannot open");
  }
  SUBCASE("an unknown --dtype") {
    expect_failure({fixture("trap4_no_counters.pth"), "-o", scratch("d.tvl"), "--dtype", "f64"},
                   scratch("d.tvl"), "--dtype");
  }
}
