#include "tvlite/exporter/check.h"

#include <map>
#include <set>

namespace tvlite::exporter {

std::vector<std::string> check_state_dict(const StateDict& sd, const schema::ArchConfig& arch) {
  const std::vector<schema::ManifestEntry> manifest = schema::arch_manifest(arch);
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : sd) by_name.emplace(t.name, &t);
  std::set<std::string> expected;
  std::vector<std::string> missing, mismatched, unexpected;
  for (const schema::ManifestEntry& e : manifest) {
    expected.insert(e.name);
    auto it = by_name.find(e.name);
    const bool counter = e.kind == schema::EntryKind::kCounter;
    if (it == by_name.end()) {
      if (!counter)  // num_batches_tracked may be absent (TRAPS 4)
        missing.push_back("missing key " + e.name + " (" + arch.name + " expects " +
                          shape_string(e.shape) + ")");
      continue;
    }
    const Tensor& t = *it->second;
    if (t.shape != e.shape)
      mismatched.push_back("size mismatch for " + e.name + ": file has " + shape_string(t.shape) +
                           ", " + arch.name + " expects " + shape_string(e.shape));
    if (!counter && !is_floating(t.dtype))
      mismatched.push_back("dtype mismatch for " + e.name + ": file has " +
                           element_type_name(t.dtype) + ", " + arch.name +
                           " expects a floating-point tensor");
    if (counter && (is_floating(t.dtype) || t.dtype == ElementType::kBool))
      mismatched.push_back("dtype mismatch for " + e.name + ": file has " +
                           element_type_name(t.dtype) + ", an integer counter is expected");
  }
  for (const Tensor& t : sd)
    if (!expected.count(t.name))
      unexpected.push_back("unexpected key " + t.name + " " + shape_string(t.shape) +
                           " (not part of " + arch.name + ")");
  std::vector<std::string> out = std::move(missing);
  out.insert(out.end(), unexpected.begin(), unexpected.end());
  out.insert(out.end(), mismatched.begin(), mismatched.end());
  return out;
}

}  // namespace tvlite::exporter
