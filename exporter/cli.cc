#include "tvlite/exporter/cli.h"

#include <c10/util/Exception.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>

#include "tvlite/exporter/check.h"
#include "tvlite/exporter/detect.h"
#include "tvlite/exporter/prefix.h"
#include "tvlite/exporter/read.h"
#include "tvlite/exporter/selftest.h"
#include "tvlite/exporter/to_pth.h"
#include "tvlite/exporter/write_tvl.h"

namespace tvlite::exporter {
namespace {

constexpr const char* kUsage =
    "usage: tvlite-export INPUT -o OUTPUT.tvl [--arch NAME] [--dtype keep|f32] [--labels FILE]\n"
    "                     [--mean a,b,c] [--std a,b,c] [--input-size H[,W]] [--resize N]\n"
    "                     [--prefix KEY_PREFIX] [--no-selftest]\n"
    "       tvlite-export --to-pth MODEL.tvl -o OUTPUT.pth\n"
    "Converts a PyTorch state dict (zip or legacy torch.save, checkpoint dict, whole pickled\n"
    "model) or a TorchScript archive of a torchvision ResNet, ResNeXt, Wide ResNet, AlexNet or\n"
    "VGG into a .tvl file; --to-pth writes a .tvl back as a torch.save state dict.\n"
    "--prefix backbone. exports only the keys under backbone. (a model kept inside another).\n"
    "--dtype keep (default) stores float16/bfloat16 weights as they are, f32 widens them.\n"
    "The file carries a self-test (PyTorch's logits for one seeded 64x64 input, checked by\n"
    "tvlite-run MODEL.tvl --selftest); --no-selftest leaves it out.\n";

struct Args {
  std::string input, output, arch, labels, to_pth, prefix;
  bool prefix_given = false;
  InputOptions in;
  DTypePolicy dtype = DTypePolicy::kKeep;
  bool resize_given = false;
  bool selftest = true;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

double number(const std::string& opt, const std::string& s) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
    throw ExportError(opt + ": '" + s + "' is not a number");
  return v;
}

int positive_int(const std::string& opt, const std::string& s) {
  double v = number(opt, s);
  if (v < 1 || v > 16384 || v != std::floor(v))
    throw ExportError(opt + ": '" + s + "' is not a whole number in [1, 16384]");
  return int(v);
}

void triple(const std::string& opt, const std::string& s, float* out, bool positive) {
  std::vector<std::string> parts = split(s, ',');
  if (parts.size() != 3)
    throw ExportError(opt + " needs three comma-separated values, got '" + s + "'");
  for (int i = 0; i < 3; ++i) {
    out[i] = float(number(opt, parts[i]));
    if (positive && !(out[i] > 0))
      throw ExportError(opt + ": values must be positive, got '" + s + "'");
  }
}

Args parse(int argc, const char* const* argv, bool* help) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    const bool has_eq = arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos;
    if (has_eq) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
    }
    auto next = [&]() -> std::string {
      if (has_eq) return value;
      if (i + 1 >= argc) throw ExportError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      *help = true;
      return a;
    } else if (arg == "-o" || arg == "--output") {
      a.output = next();
    } else if (arg == "--arch") {
      a.arch = next();
    } else if (arg == "--dtype") {
      const std::string v = next();
      if (v == "keep") {
        a.dtype = DTypePolicy::kKeep;
      } else if (v == "f32") {
        a.dtype = DTypePolicy::kF32;
      } else {
        throw ExportError("--dtype takes keep or f32, got '" + v + "'");
      }
    } else if (arg == "--no-selftest") {
      if (has_eq) throw ExportError("--no-selftest takes no value");
      a.selftest = false;
    } else if (arg == "--to-pth") {
      a.to_pth = next();
    } else if (arg == "--prefix") {
      if (a.prefix_given) throw ExportError("--prefix given twice; a file is exported one module at a time");
      a.prefix = next();
      a.prefix_given = true;
    } else if (arg == "--labels") {
      a.labels = next();
    } else if (arg == "--mean") {
      triple(arg, next(), a.in.mean, false);
    } else if (arg == "--std") {
      triple(arg, next(), a.in.std, true);
    } else if (arg == "--input-size") {
      std::vector<std::string> hw = split(next(), ',');
      if (hw.size() != 1 && hw.size() != 2) throw ExportError("--input-size takes H or H,W");
      a.in.height = positive_int(arg, hw[0]);
      a.in.width = hw.size() == 2 ? positive_int(arg, hw[1]) : a.in.height;
    } else if (arg == "--resize") {
      a.in.resize = positive_int(arg, next());
      a.resize_given = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw ExportError("unknown option " + arg + "\n" + kUsage);
    } else if (a.input.empty()) {
      a.input = arg;
    } else {
      throw ExportError("more than one input file: '" + a.input + "' and '" + arg + "'");
    }
  }
  if (!a.to_pth.empty()) {
    if (!a.input.empty())
      throw ExportError("--to-pth takes one .tvl file; also given '" + a.input + "'");
    if (a.prefix_given) throw ExportError("--prefix selects keys to export; --to-pth takes none");
    if (a.output.empty())
      throw ExportError(std::string("no output file given (-o OUTPUT.pth)\n") + kUsage);
    return a;
  }
  if (a.input.empty()) throw ExportError(std::string("no input file given\n") + kUsage);
  if (a.output.empty())
    throw ExportError(std::string("no output file given (-o OUTPUT.tvl)\n") + kUsage);
  // torchvision's ratio: Resize(256) then CenterCrop(224).
  // Capped at the largest size a .tvl may declare, so the runtime accepts what is written.
  if (!a.resize_given) {
    a.in.resize = int(std::min<int64_t>(16384, int64_t(std::min(a.in.height, a.in.width)) * 256 / 224));
  }
  return a;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ExportError("cannot read labels file " + path);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

void print_error(std::ostream& err, const std::string& msg) {
  std::stringstream ss(msg);
  std::string line;
  while (std::getline(ss, line)) err << "error: " << line << "\n";
}

// Writing over the file being read would destroy it: refuse when both name one file.
void refuse_same_file(const std::string& input, const std::string& output) {
  struct stat in_st, out_st;
  if (::stat(input.c_str(), &in_st) == 0 && ::stat(output.c_str(), &out_st) == 0 &&
      in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
    throw ExportError("output " + output + " is the input file; refusing to overwrite it");
  }
}

// Inputs are checked with stat() before anything opens them: opening a FIFO would wait for a
// writer, and a directory or device is never a model.
void require_regular_input(const std::string& path, const char* what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw ExportError("cannot open " + std::string(what) + " " + path + ": " +
                      std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw ExportError(std::string(what) + " " + path + " is a directory");
  if (!S_ISREG(st.st_mode)) {
    throw ExportError(std::string(what) + " " + path + " is not a regular file");
  }
}

// The output is replaced by rename(): an existing symlink, device, FIFO or directory there
// would be replaced too (as root, -o /dev/null would delete the device node). Refuse them.
void require_replaceable_output(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;  // absent: created
  if (S_ISLNK(st.st_mode)) {
    throw ExportError("output " + path +
                      " is a symbolic link; give the path of the file itself");
  }
  if (S_ISDIR(st.st_mode)) throw ExportError("output " + path + " is a directory");
  if (!S_ISREG(st.st_mode)) {
    throw ExportError("output " + path +
                      " is not a regular file (a device or FIFO); refusing to replace it");
  }
}

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  bool help = false;
  Args a = parse(argc, argv, &help);
  if (help) {
    out << kUsage;
    return 0;
  }
  require_regular_input(a.to_pth.empty() ? a.input : a.to_pth, "input");
  if (!a.labels.empty()) require_regular_input(a.labels, "labels file");
  require_replaceable_output(a.output);
  refuse_same_file(a.to_pth.empty() ? a.input : a.to_pth, a.output);
  if (!a.to_pth.empty()) {
    tvl_to_pth(a.to_pth, a.output);
    out << "wrote " << a.output << " from " << a.to_pth << "\n";
    return 0;
  }
  if (!a.labels.empty()) a.in.labels = read_labels(a.labels);
  StateDict sd = read_model_file(a.input);
  size_t dropped = 0;
  if (a.prefix_given) sd = select_prefix(std::move(sd), a.prefix, &dropped, &a.prefix);
  schema::ArchConfig arch = detect_arch(sd, a.arch);
  std::vector<std::string> problems = check_state_dict(sd, arch);
  if (!problems.empty()) {
    err << "error: " << a.input << " does not match " << arch.name << " (" << problems.size()
        << (problems.size() == 1 ? " problem" : " problems") << "):\n";
    constexpr size_t kShown = 40;
    for (size_t i = 0; i < problems.size() && i < kShown; ++i)
      err << "error:   " << problems[i] << "\n";
    if (problems.size() > kShown)
      err << "error:   ... and " << problems.size() - kShown << " more\n";
    return 1;
  }
  if (!a.in.labels.empty() && int(a.in.labels.size()) != arch.num_classes)
    throw ExportError("labels file " + a.labels + " has " + std::to_string(a.in.labels.size()) +
                      " labels, but the model has " + std::to_string(arch.num_classes) +
                      " classes");
  SelfTest selftest;
  if (a.selftest) selftest = make_selftest(arch, sd);
  write_tvl(a.output, arch, a.in, sd, a.dtype, a.selftest ? &selftest : nullptr);
  out << "wrote " << a.output << ": " << arch.name << ", " << arch.num_classes
      << (arch.num_classes == 1 ? " class, " : " classes, ")
      << sd.size() << " tensors";
  if (a.selftest) out << ", self-test tolerance " << selftest.tolerance;
  if (a.prefix_given) out << " (keys under " << a.prefix << "; " << dropped << " others left out)";
  out << "\n";
  return 0;
}

}  // namespace

int export_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    return run(argc, argv, out, err);
  } catch (const ExportError& e) {
    print_error(err, e.what());
  } catch (const c10::Error& e) {
    print_error(err, std::string("LibTorch: ") + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    print_error(err, "out of memory (is the input file corrupt?)");
  } catch (const std::exception& e) {
    print_error(err, e.what());
  } catch (...) {
    print_error(err, "unexpected failure");
  }
  return 1;
}

}  // namespace tvlite::exporter
