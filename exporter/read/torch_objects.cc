#include "read/torch_objects.h"

#include <ATen/core/Tensor.h>
#include <ATen/ops/from_blob.h>

#include <cstring>
#include <set>

#include "read/aten_types.h"

namespace tvlite::exporter {
namespace {

using pickle::Ref;
using pickle::Value;
using K = pickle::Value::Kind;

bool dtype_from_name(const std::string& n, ElementType* t) {
  static const std::pair<const char*, ElementType> kNames[] = {
      {"FloatStorage", ElementType::kF32}, {"float32", ElementType::kF32},
      {"float", ElementType::kF32},        {"DoubleStorage", ElementType::kF64},
      {"float64", ElementType::kF64},      {"double", ElementType::kF64},
      {"HalfStorage", ElementType::kF16},  {"float16", ElementType::kF16},
      {"half", ElementType::kF16},         {"BFloat16Storage", ElementType::kBF16},
      {"bfloat16", ElementType::kBF16},    {"LongStorage", ElementType::kI64},
      {"int64", ElementType::kI64},        {"long", ElementType::kI64},
      {"IntStorage", ElementType::kI32},   {"int32", ElementType::kI32},
      {"int", ElementType::kI32},          {"ShortStorage", ElementType::kI16},
      {"int16", ElementType::kI16},        {"short", ElementType::kI16},
      {"CharStorage", ElementType::kI8},   {"int8", ElementType::kI8},
      {"ByteStorage", ElementType::kU8},   {"uint8", ElementType::kU8},
      {"BoolStorage", ElementType::kBool}, {"bool", ElementType::kBool},
  };
  for (const auto& [name, type] : kNames) {
    if (n == name) {
      *t = type;
      return true;
    }
  }
  return false;
}

bool is_int(const Ref& v) { return v && v->kind == K::kInt; }

std::vector<int64_t> int_tuple(const Ref& v, const char* what) {
  if (!v || v->kind != K::kTuple)
    throw ExportError(std::string("tensor ") + what + " is not a tuple");
  std::vector<int64_t> out;
  for (const Ref& e : v->items) {
    if (!is_int(e)) throw ExportError(std::string("tensor ") + what + " holds " + describe(*e));
    out.push_back(e->i);
  }
  return out;
}

StorageRef storage_from_persistent(const Value& p) {
  const Ref& pid = p.items[0];
  if (pid->kind != K::kTuple || pid->items.size() < 5 || pid->items[0]->kind != K::kStr ||
      pid->items[0]->s != "storage")
    throw ExportError("persistent id is " + describe(*pid) +
                      ", not ('storage', type, key, location, numel)");
  const Value& type = *pid->items[1];
  StorageRef s;
  if (type.kind != K::kGlobal || type.module != "torch" || !dtype_from_name(type.name, &s.dtype))
    throw ExportError("storage of unsupported type " + describe(type));
  if (pid->items[2]->kind != K::kStr)
    throw ExportError("storage key is " + describe(*pid->items[2]));
  s.key = pid->items[2]->s;
  if (!is_int(pid->items[4]) || pid->items[4]->i < 0)
    throw ExportError("storage '" + s.key + "' has element count " + describe(*pid->items[4]));
  s.numel = uint64_t(pid->items[4]->i);
  if (pid->items.size() > 5 && pid->items[5]->kind != K::kNone)
    throw ExportError("storage '" + s.key + "' is a legacy storage view, which is not supported");
  return s;
}

// A tensor as the pickle describes it, before its bytes are fetched.
struct TensorSpec {
  StorageRef storage;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
};

// True if v is a tensor (possibly wrapped in a parameter); throws if it is a tensor kind that
// cannot be exported.
bool tensor_spec(const Ref& v, TensorSpec* t) {
  if (v->kind != K::kObject) return false;
  const Value& fn = *v->items[0];
  const std::vector<Ref>& args = v->items[1]->items;
  if (fn.module != "torch._utils") return false;
  if (fn.name == "_rebuild_parameter" || fn.name == "_rebuild_parameter_with_state") {
    if (args.empty() || !tensor_spec(args[0], t))  // TRAPS 3: descend into the wrapped tensor
      throw ExportError("a parameter that does not wrap a plain tensor");
    return true;
  }
  if (fn.name == "_rebuild_tensor_v2" || fn.name == "_rebuild_tensor") {
    if (args.size() < 4 || args[0]->kind != K::kPersistent || !is_int(args[1]))
      throw ExportError("malformed " + fn.qualified_name() + " arguments");
    t->storage = storage_from_persistent(*args[0]);
    t->offset = args[1]->i;
    t->sizes = int_tuple(args[2], "size");
    t->strides = int_tuple(args[3], "stride");
    if (t->sizes.size() != t->strides.size())
      throw ExportError("tensor has " + std::to_string(t->sizes.size()) + " sizes but " +
                        std::to_string(t->strides.size()) + " strides");
    return true;
  }
  if (fn.name.rfind("_rebuild", 0) == 0)
    throw ExportError("unsupported tensor kind " + fn.qualified_name() +
                      " (quantized, sparse or other non-dense tensors are not supported)");
  return false;
}

void collect(const Ref& v, std::map<std::string, StorageRef>* out, std::set<const Value*>* seen) {
  if (!v || !seen->insert(v.get()).second) return;
  if (v->kind == K::kPersistent) {
    const Ref& pid = v->items[0];
    if (pid->kind == K::kTuple && !pid->items.empty() && pid->items[0]->kind == K::kStr &&
        pid->items[0]->s == "module")
      return;  // a legacy file's record of an nn.Module class, not a storage
    StorageRef s = storage_from_persistent(*v);
    out->emplace(s.key, s);
    return;
  }
  for (const Ref& e : v->items) collect(e, out, seen);
  for (const auto& [k, e] : v->dict) {
    collect(k, out, seen);
    collect(e, out, seen);
  }
}

const Value* find_value(const Value& dict, const char* key) {
  for (const auto& [k, v] : dict.dict)
    if (k->kind == K::kStr && k->s == key) return v.get();
  return nullptr;
}

std::string whole_model_error(const Value& obj) {
  return "the file holds a pickled object (" + obj.items[0]->qualified_name() +
         ") that is not an nn.Module tree (no _parameters/_buffers/_modules); re-save it with "
         "torch.save(model.state_dict(), PATH)";
}

std::string first_keys(const Value& dict) {
  std::string s;
  size_t n = 0;
  for (const auto& [k, v] : dict.dict) {
    if (n++ == 8) return s + ", ...";
    if (!s.empty()) s += ", ";
    s += k->kind == K::kStr ? "'" + k->s + "'" : describe(*k);
  }
  return s.empty() ? "(none)" : s;
}

using Entries = std::vector<std::pair<std::string, Ref>>;

// The state of a pickled nn.Module: the BUILD state of a NEWOBJ/REDUCE object, a dict with
// _parameters, _buffers and _modules (OrderedDicts). Null if obj is not one.
const Value* module_state(const Value& obj) {
  if (obj.kind != K::kObject || obj.items.size() < 3) return nullptr;
  const Value& state = *obj.items[2];
  if (state.kind != K::kDict) return nullptr;
  const Value* params = find_value(state, "_parameters");
  const Value* modules = find_value(state, "_modules");
  if (!params || params->kind != K::kDict || !modules || modules->kind != K::kDict) return nullptr;
  return &state;
}

// Names in a module's _non_persistent_buffers_set (pickled as builtins.set([names])).
std::set<std::string> non_persistent(const Value& state) {
  std::set<std::string> out;
  const Value* s = find_value(state, "_non_persistent_buffers_set");
  if (!s || s->kind != K::kObject || s->items.size() < 2) return out;
  for (const Ref& arg : s->items[1]->items)
    if (arg->kind == K::kList)
      for (const Ref& e : arg->items)
        if (e->kind == K::kStr) out.insert(e->s);
  return out;
}

// nn.Module.state_dict() order: own parameters, own persistent buffers, then each child.
void walk_module(const Value& state, const std::string& prefix, int depth, Entries* out) {
  if (depth > 256) throw ExportError("module tree deeper than 256 levels");
  const std::set<std::string> skip = non_persistent(state);
  for (const char* table : {"_parameters", "_buffers"}) {
    const Value* d = find_value(state, table);
    if (!d || d->kind != K::kDict) continue;
    for (const auto& [k, v] : d->dict) {
      if (k->kind != K::kStr)
        throw ExportError(std::string(table) + " has a key that is " + describe(*k));
      if (v->kind == K::kNone || (table[1] == 'b' && skip.count(k->s))) continue;
      out->emplace_back(prefix + k->s, v);
    }
  }
  const Value* modules = find_value(state, "_modules");
  for (const auto& [k, v] : modules->dict) {
    if (k->kind != K::kStr) throw ExportError("_modules has a key that is " + describe(*k));
    if (v->kind == K::kNone) continue;
    const Value* child = module_state(*v);
    if (!child)
      throw ExportError("submodule '" + prefix + k->s + "' is " + describe(*v) +
                        ", not a pickled nn.Module");
    walk_module(*child, prefix + k->s + ".", depth + 1, out);
  }
}

bool has_tensor(const Value& dict) {
  TensorSpec t;
  for (const auto& [k, v] : dict.dict)
    if (tensor_spec(v, &t)) return true;
  return false;
}

Entries dict_entries(const Value& dict) {
  Entries out;
  for (const auto& [k, v] : dict.dict) {
    if (k->kind != K::kStr) throw ExportError("state dict has a key that is " + describe(*k));
    out.emplace_back(k->s, v);
  }
  return out;
}

// A state dict, a whole pickled module, or a checkpoint holding one of them under a usual key,
// possibly one level further down ({'checkpoint': {'model': ...}} or {'model': {'state_dict':}}).
bool find_entries(const Value& v, int depth, Entries* out) {
  if (v.kind == K::kObject) {
    const Value* state = module_state(v);
    if (!state) return false;
    walk_module(*state, "", 0, out);
    return true;
  }
  if (v.kind != K::kDict) return false;
  // A checkpoint's usual keys first: it may hold loose tensors next to its state dict.
  if (depth < 2) {
    for (const char* key : {"state_dict", "model_state_dict", "model", "net"}) {
      const Value* e = find_value(v, key);
      if (e && (e->kind == K::kDict || e->kind == K::kObject) && find_entries(*e, depth + 1, out))
        return true;
    }
  }
  if (has_tensor(v)) {
    *out = dict_entries(v);
    return true;
  }
  if (depth >= 1) return false;
  for (const auto& [k, e] : v.dict)  // one level of any other name
    if (e->kind == K::kDict && find_entries(*e, depth + 1, out)) return true;
  return false;
}

// The (name, tensor) entries of the file: the top level, a checkpoint's entry, or a module tree.
Entries find_state_dict(const Value& root) {
  Entries out;
  if (find_entries(root, 0, &out)) return out;
  if (root.kind == K::kObject) throw ExportError(whole_model_error(root));
  if (root.kind != K::kDict)
    throw ExportError("the file holds " + describe(root) +
                      ", not a dict (a state dict or a checkpoint dict) or an nn.Module");
  for (const char* key : {"state_dict", "model_state_dict", "model", "net"}) {
    const Value* v = find_value(root, key);
    if (v && v->kind == K::kObject) throw ExportError(whole_model_error(*v));
  }
  if (root.dict.empty()) throw ExportError("the file holds an empty dict");
  throw ExportError(
      "no state dict found: the top-level dict has no tensors and none of the keys "
      "state_dict, model_state_dict, model, net (nor any dict one level down) holds them; its "
      "keys are " +
      first_keys(root));
}

// Wrapper prefixes (DataParallel's `module.`, Lightning-style `model.`) shared by every key.
void strip_common_prefixes(Entries* entries) {
  for (int round = 0; round < 2; ++round) {
    for (const char* prefix : {"module.", "model."}) {
      const size_t n = std::strlen(prefix);
      bool all = !entries->empty();
      for (const auto& [name, v] : *entries)
        all = all && name.size() > n && name.compare(0, n, prefix) == 0;
      if (!all) continue;
      for (auto& [name, v] : *entries) name = name.substr(n);
    }
  }
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* r) { return __builtin_mul_overflow(a, b, r); }
bool add_overflows(uint64_t a, uint64_t b, uint64_t* r) { return __builtin_add_overflow(a, b, r); }

}  // namespace

std::map<std::string, StorageRef> collect_storages(const pickle::Ref& root) {
  std::map<std::string, StorageRef> out;
  std::set<const Value*> seen;
  collect(root, &out, &seen);
  return out;
}

void copy_strided(const uint8_t* storage, size_t storage_bytes, int64_t storage_offset,
                  const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  Tensor* out) {
  const uint64_t es = element_size(out->dtype);
  const size_t rank = sizes.size();
  if (strides.size() != rank) throw ExportError("sizes and strides differ in length");
  if (storage_offset < 0)
    throw ExportError("negative storage offset " + std::to_string(storage_offset));
  uint64_t numel = 1, last = uint64_t(storage_offset);  // index of the furthest element addressed
  bool overflow = false;
  for (size_t d = 0; d < rank; ++d) {
    if (sizes[d] < 0) throw ExportError("negative size in " + shape_string(sizes));
    if (strides[d] < 0) throw ExportError("negative stride in " + shape_string(strides));
    overflow |= mul_overflows(numel, uint64_t(sizes[d]), &numel);
  }
  uint64_t nbytes = 0;
  overflow |= mul_overflows(numel, es, &nbytes);
  if (overflow || nbytes > (uint64_t(1) << 40))
    throw ExportError("tensor of shape " + shape_string(sizes) + " is impossibly large");
  out->shape = sizes;
  out->data.assign(size_t(nbytes), 0);
  if (numel == 0) return;
  for (size_t d = 0; d < rank; ++d) {
    uint64_t step = 0;
    overflow |= mul_overflows(uint64_t(sizes[d] - 1), uint64_t(strides[d]), &step);
    overflow |= add_overflows(last, step, &last);
  }
  uint64_t end_bytes = 0;
  overflow |= add_overflows(last, 1, &end_bytes);
  overflow |= mul_overflows(end_bytes, es, &end_bytes);
  if (overflow || end_bytes > storage_bytes)
    throw ExportError("tensor of shape " + shape_string(sizes) + ", stride " +
                      shape_string(strides) + " at storage offset " +
                      std::to_string(storage_offset) + " addresses elements past the end of its " +
                      std::to_string(storage_bytes / es) + "-element storage");
  // Bounds are checked: let ATen gather the strided elements (TRAPS 1, 2).
  void* first = const_cast<uint8_t*>(storage) + uint64_t(storage_offset) * es;
  at::Tensor view =
      at::from_blob(first, sizes, strides, at::TensorOptions().dtype(to_aten(out->dtype)));
  at::Tensor dense = view.contiguous();
  std::memcpy(out->data.data(), dense.data_ptr(), size_t(nbytes));
}

StateDict state_dict_from_pickle(const pickle::Ref& root, const StorageResolver& resolve) {
  Entries entries = find_state_dict(*root);
  strip_common_prefixes(&entries);
  StateDict out;
  std::set<std::string> names;
  std::map<std::string, StorageBytes> fetched;
  for (const auto& [key, v] : entries) {
    std::string name = key;
    if (name.rfind("module.", 0) == 0) name = name.substr(7);  // DataParallel
    TensorSpec spec;
    if (!tensor_spec(v, &spec))
      throw ExportError("state dict entry '" + key + "' is " + describe(*v) + ", not a tensor");
    if (!names.insert(name).second) throw ExportError("duplicate key '" + name + "'");
    auto it = fetched.find(spec.storage.key);
    if (it == fetched.end()) it = fetched.emplace(spec.storage.key, resolve(spec.storage)).first;
    const uint64_t es = element_size(spec.storage.dtype);
    uint64_t promised = 0;
    if (__builtin_mul_overflow(spec.storage.numel, es, &promised) || promised > it->second.size)
      throw ExportError("storage '" + spec.storage.key + "' of '" + name + "' holds " +
                        std::to_string(it->second.size) + " bytes, but its header promises " +
                        std::to_string(spec.storage.numel) + " elements of " + std::to_string(es) +
                        " bytes");
    Tensor t;
    t.name = name;
    t.dtype = spec.storage.dtype;
    try {
      copy_strided(it->second.data, size_t(promised), spec.offset, spec.sizes, spec.strides, &t);
    } catch (const ExportError& e) {
      throw ExportError("'" + name + "': " + e.what());
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace tvlite::exporter
