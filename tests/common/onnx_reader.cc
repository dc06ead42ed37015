// Protobuf wire format: each field is a varint key (field_number << 3 | wire_type) followed by
// a varint (0), 8 bytes (1), a varint length and that many bytes (2), or 4 bytes (5).
// Repeated scalars come either packed (one length-delimited field) or one field per element.
#include "common/onnx_reader.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace tvlite::test::onnx {
namespace {

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ >= end_; }
  bool varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      const uint8_t b = uint8_t(*p_++);
      *v |= uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool fixed(void* out, size_t n) {
    if (size_t(end_ - p_) < n) return false;
    std::memcpy(out, p_, n);  // little-endian on every host the tests run on
    p_ += n;
    return true;
  }
  bool bytes(Reader* sub) {
    uint64_t len;
    if (!varint(&len) || len > uint64_t(end_ - p_)) return false;
    *sub = Reader(p_, size_t(len));
    p_ += len;
    return true;
  }
  std::string str() const { return std::string(p_, end_); }
  // Skips a field of the given wire type.
  bool skip(int wire_type) {
    uint64_t v;
    Reader sub(nullptr, 0);
    switch (wire_type) {
      case 0: return varint(&v);
      case 1: return fixed(&v, 8);
      case 2: return bytes(&sub);
      case 5: return fixed(&v, 4);
      default: return false;
    }
  }

 private:
  const char* p_;
  const char* end_;
};

// Calls fn(field, wire_type, reader) for each field of the message; fn consumes the value.
template <typename Fn>
bool for_each_field(Reader r, std::string* error, const char* what, Fn fn) {
  while (!r.done()) {
    uint64_t key;
    if (!r.varint(&key)) break;
    const int field = int(key >> 3), wire_type = int(key & 7);
    if (!fn(field, wire_type, r)) {
      *error = std::string("malformed ") + what + " field " + std::to_string(field);
      return false;
    }
  }
  if (!r.done()) {
    *error = std::string("truncated ") + what;
    return false;
  }
  return true;
}

bool read_string(int wire_type, Reader& r, std::string* s) {
  Reader sub(nullptr, 0);
  if (wire_type != 2 || !r.bytes(&sub)) return false;
  *s = sub.str();
  return true;
}

bool read_floats(int wire_type, Reader& r, std::vector<float>* out) {
  float f;
  if (wire_type == 5) {
    if (!r.fixed(&f, 4)) return false;
    out->push_back(f);
    return true;
  }
  Reader sub(nullptr, 0);
  if (wire_type != 2 || !r.bytes(&sub)) return false;
  while (!sub.done()) {
    if (!sub.fixed(&f, 4)) return false;
    out->push_back(f);
  }
  return true;
}

bool read_int64s(int wire_type, Reader& r, std::vector<int64_t>* out) {
  uint64_t v;
  if (wire_type == 0) {
    if (!r.varint(&v)) return false;
    out->push_back(int64_t(v));
    return true;
  }
  Reader sub(nullptr, 0);
  if (wire_type != 2 || !r.bytes(&sub)) return false;
  while (!sub.done()) {
    if (!sub.varint(&v)) return false;
    out->push_back(int64_t(v));
  }
  return true;
}

bool parse_tensor_message(Reader r, Tensor* t, std::string* error) {
  std::string raw;
  std::vector<double> doubles;
  const bool ok = for_each_field(r, error, "TensorProto", [&](int field, int wt, Reader& in) {
    uint64_t v;
    switch (field) {
      case 1: return read_int64s(wt, in, &t->dims);
      case 2:
        if (wt != 0 || !in.varint(&v)) return false;
        t->data_type = int32_t(v);
        return true;
      case 4: return read_floats(wt, in, &t->floats);
      case 7: return read_int64s(wt, in, &t->ints);
      case 8: return read_string(wt, in, &t->name);
      case 9: return read_string(wt, in, &raw);
      case 10: {
        double d;  // double_data: fixed64 or packed fixed64
        if (wt == 1) {
          if (!in.fixed(&d, 8)) return false;
          doubles.push_back(d);
          return true;
        }
        Reader sub(nullptr, 0);
        if (wt != 2 || !in.bytes(&sub)) return false;
        while (!sub.done()) {
          if (!sub.fixed(&d, 8)) return false;
          doubles.push_back(d);
        }
        return true;
      }
      default: return in.skip(wt);
    }
  });
  if (!ok) return false;
  if (!raw.empty()) {
    const size_t elem = t->data_type == kFloat                               ? 4
                        : (t->data_type == kInt64 || t->data_type == kDouble) ? 8
                                                                              : 0;
    if (elem == 0 || raw.size() % elem != 0) {
      *error = "raw_data of unsupported type " + std::to_string(t->data_type);
      return false;
    }
    const size_t n = raw.size() / elem;
    if (t->data_type == kFloat) {
      t->floats.resize(n);
      std::memcpy(t->floats.data(), raw.data(), raw.size());
    } else if (t->data_type == kInt64) {
      t->ints.resize(n);
      std::memcpy(t->ints.data(), raw.data(), raw.size());
    } else {
      doubles.resize(n);
      std::memcpy(doubles.data(), raw.data(), raw.size());
    }
  }
  for (double d : doubles) t->floats.push_back(float(d));
  const int64_t n = t->numel();
  const size_t have = t->data_type == kInt64 ? t->ints.size() : t->floats.size();
  if (int64_t(have) != n) {
    *error = "tensor '" + t->name + "' has " + std::to_string(have) + " values for " +
             std::to_string(n) + " elements";
    return false;
  }
  return true;
}

bool parse_attribute(Reader r, Attribute* a, std::string* error) {
  return for_each_field(r, error, "AttributeProto", [&](int field, int wt, Reader& in) {
    uint64_t v;
    switch (field) {
      case 1: return read_string(wt, in, &a->name);
      case 2:
        a->has_f = true;
        return wt == 5 && in.fixed(&a->f, 4);
      case 3:
        a->has_i = true;
        if (wt != 0 || !in.varint(&v)) return false;
        a->i = int64_t(v);
        return true;
      case 4: return read_string(wt, in, &a->s);
      case 7: return read_floats(wt, in, &a->floats);
      case 8: return read_int64s(wt, in, &a->ints);
      case 20:
        if (wt != 0 || !in.varint(&v)) return false;
        a->type = int32_t(v);
        return true;
      default: return in.skip(wt);
    }
  });
}

bool parse_node(Reader r, Node* n, std::string* error) {
  return for_each_field(r, error, "NodeProto", [&](int field, int wt, Reader& in) {
    std::string s;
    Reader sub(nullptr, 0);
    switch (field) {
      case 1:
        if (!read_string(wt, in, &s)) return false;
        n->inputs.push_back(s);
        return true;
      case 2:
        if (!read_string(wt, in, &s)) return false;
        n->outputs.push_back(s);
        return true;
      case 3: return read_string(wt, in, &n->name);
      case 4: return read_string(wt, in, &n->op_type);
      case 5:
        if (wt != 2 || !in.bytes(&sub)) return false;
        n->attributes.emplace_back();
        return parse_attribute(sub, &n->attributes.back(), error);
      default: return in.skip(wt);
    }
  });
}

bool value_info_name(int wt, Reader& in, std::vector<std::string>* names, std::string* error) {
  Reader sub(nullptr, 0);
  if (wt != 2 || !in.bytes(&sub)) return false;
  std::string name;
  if (!for_each_field(sub, error, "ValueInfoProto", [&](int field, int w, Reader& v) {
        return field == 1 ? read_string(w, v, &name) : v.skip(w);
      })) {
    return false;
  }
  names->push_back(name);
  return true;
}

bool parse_graph(Reader r, Graph* g, std::string* error) {
  return for_each_field(r, error, "GraphProto", [&](int field, int wt, Reader& in) {
    Reader sub(nullptr, 0);
    switch (field) {
      case 1:
        if (wt != 2 || !in.bytes(&sub)) return false;
        g->nodes.emplace_back();
        return parse_node(sub, &g->nodes.back(), error);
      case 2: return read_string(wt, in, &g->name);
      case 5:
        if (wt != 2 || !in.bytes(&sub)) return false;
        g->initializers.emplace_back();
        return parse_tensor_message(sub, &g->initializers.back(), error);
      case 11: return value_info_name(wt, in, &g->inputs, error);
      case 12: return value_info_name(wt, in, &g->outputs, error);
      default: return in.skip(wt);
    }
  });
}

}  // namespace

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

const Attribute* Node::attribute(const std::string& name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

int64_t Node::int_attr(const std::string& name, int64_t fallback) const {
  const Attribute* a = attribute(name);
  return a != nullptr ? a->i : fallback;
}

float Node::float_attr(const std::string& name, float fallback) const {
  const Attribute* a = attribute(name);
  return a != nullptr ? a->f : fallback;
}

std::vector<int64_t> Node::ints_attr(const std::string& name) const {
  const Attribute* a = attribute(name);
  return a != nullptr ? a->ints : std::vector<int64_t>{};
}

const Tensor* Graph::initializer(const std::string& name) const {
  for (const Tensor& t : initializers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

bool read_file(const std::string& path, std::string* bytes, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot open " + path;
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  *bytes = ss.str();
  return true;
}

bool parse_tensor(const std::string& bytes, Tensor* tensor, std::string* error) {
  *tensor = Tensor{};
  return parse_tensor_message(Reader(bytes.data(), bytes.size()), tensor, error);
}

bool parse_model(const std::string& bytes, Graph* graph, std::string* error) {
  *graph = Graph{};
  bool have_graph = false;
  const bool ok = for_each_field(Reader(bytes.data(), bytes.size()), error, "ModelProto",
                                 [&](int field, int wt, Reader& in) {
                                   if (field != 7) return in.skip(wt);
                                   Reader sub(nullptr, 0);
                                   if (wt != 2 || !in.bytes(&sub)) return false;
                                   have_graph = true;
                                   return parse_graph(sub, graph, error);
                                 });
  if (ok && !have_graph) *error = "model has no graph";
  return ok && have_graph;
}

bool load_tensor(const std::string& path, Tensor* tensor, std::string* error) {
  std::string bytes;
  return read_file(path, &bytes, error) && parse_tensor(bytes, tensor, error);
}

bool load_model(const std::string& path, Graph* graph, std::string* error) {
  std::string bytes;
  return read_file(path, &bytes, error) && parse_model(bytes, graph, error);
}

}  // namespace tvlite::test::onnx
