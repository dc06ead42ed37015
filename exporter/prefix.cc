#include "tvlite/exporter/prefix.h"

#include <set>

namespace tvlite::exporter {

std::vector<std::string> model_prefixes(const StateDict& sd) {
  std::set<std::string> names;
  for (const Tensor& t : sd) names.insert(t.name);
  auto has = [&](const std::string& n) { return names.count(n) != 0; };
  std::vector<std::string> out;
  for (const Tensor& t : sd) {
    for (const char* stem : {"conv1.weight", "features.0.weight"}) {
      const std::string s = stem;
      if (t.name.size() <= s.size() || t.name.compare(t.name.size() - s.size(), s.size(), s) != 0)
        continue;
      const std::string p = t.name.substr(0, t.name.size() - s.size());
      if (p.back() != '.') continue;
      const bool resnet = s == "conv1.weight" && has(p + "layer1.0.conv1.weight");
      const bool classifier = s == "features.0.weight" &&
                              (has(p + "classifier.1.weight") || has(p + "classifier.0.weight"));
      if (resnet || classifier) out.push_back(p);
    }
  }
  return out;
}

namespace {

bool any_starts_with(const StateDict& sd, const std::string& prefix) {
  for (const Tensor& t : sd)
    if (t.name.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

}  // namespace

StateDict select_prefix(StateDict sd, const std::string& module, size_t* dropped,
                        std::string* used) {
  if (module.empty() || module == ".")
    throw ExportError("--prefix needs a module name, such as backbone.");
  std::string prefix = module.back() == '.' ? module : module + ".";
  // The readers strip a `module.` / `model.` that every key shares (DataParallel, Lightning):
  // a prefix copied from the file as it is ("model.backbone.") then names what is left.
  const std::string given = prefix;
  for (int round = 0; round < 2 && !any_starts_with(sd, prefix); ++round) {
    for (const char* wrapper : {"module.", "model."}) {
      const std::string w = wrapper;
      if (prefix.size() > w.size() && prefix.compare(0, w.size(), w) == 0) {
        prefix.erase(0, w.size());
        break;
      }
    }
  }
  if (!any_starts_with(sd, prefix)) prefix = given;
  if (used != nullptr) *used = prefix;
  StateDict kept;
  for (Tensor& t : sd) {
    if (t.name.compare(0, prefix.size(), prefix) != 0) continue;
    t.name.erase(0, prefix.size());
    kept.push_back(std::move(t));
  }
  if (kept.empty()) {
    std::string msg = "--prefix " + prefix + ": no key starts with it";
    const std::vector<std::string> found = model_prefixes(sd);
    if (!found.empty()) {
      msg += "; prefixes holding a model tvlite knows:";
      for (const std::string& p : found) msg += " " + p;
    } else if (!sd.empty()) {
      msg += "; the first key is " + sd.front().name;
    }
    throw ExportError(msg);
  }
  *dropped = sd.size() - kept.size();
  return kept;
}

}  // namespace tvlite::exporter
