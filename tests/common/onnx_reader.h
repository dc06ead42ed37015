// A tiny reader of the ONNX protobuf messages the kernel tests need (ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto), written against the protobuf wire format so the
// tests need neither protobuf nor onnx. Test code only: it allocates and uses std::string.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tvlite::test::onnx {

enum DataType : int32_t { kFloat = 1, kInt64 = 7, kDouble = 11 };

struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  std::vector<float> floats;   // FLOAT (or DOUBLE narrowed) from float_data or raw_data
  std::vector<int64_t> ints;   // INT64 from int64_data or raw_data
  int64_t numel() const;
};

struct Attribute {
  std::string name;
  int32_t type = 0;
  bool has_f = false, has_i = false;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
};

struct Node {
  std::string name, op_type;
  std::vector<std::string> inputs, outputs;
  std::vector<Attribute> attributes;
  const Attribute* attribute(const std::string& name) const;  // null when absent
  int64_t int_attr(const std::string& name, int64_t fallback) const;
  float float_attr(const std::string& name, float fallback) const;
  std::vector<int64_t> ints_attr(const std::string& name) const;  // empty when absent
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  std::vector<Tensor> initializers;
  std::vector<std::string> inputs, outputs;  // ValueInfoProto names
  const Tensor* initializer(const std::string& name) const;  // null when absent
};

// Each returns false and sets *error on malformed input or an unreadable file.
bool read_file(const std::string& path, std::string* bytes, std::string* error);
bool parse_tensor(const std::string& bytes, Tensor* tensor, std::string* error);
bool parse_model(const std::string& bytes, Graph* graph, std::string* error);

// Convenience: read_file + parse_*.
bool load_tensor(const std::string& path, Tensor* tensor, std::string* error);
bool load_model(const std::string& path, Graph* graph, std::string* error);

}  // namespace tvlite::test::onnx
