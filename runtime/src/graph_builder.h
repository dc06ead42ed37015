// Shared steps of the family builders: bind a layer's tensors (in place) and append its op.
#pragma once
#include <string>
#include <string_view>

#include "graph.h"

namespace tvlite::detail {

// A layer or tensor name built without allocating ("layer1.0." + "conv1"); at most 63 chars.
class Name {
 public:
  Name() = default;
  explicit Name(std::string_view s) { append(s); }
  Name& append(std::string_view s);
  Name& num(int64_t v);  // appends the decimal digits of v >= 0
  Name operator+(std::string_view s) const {
    Name n = *this;
    return n.append(s);
  }
  std::string_view view() const { return std::string_view(s_, n_); }
  operator std::string_view() const { return view(); }  // NOLINT: a name is a string

 private:
  char s_[64] = {};
  size_t n_ = 0;
};

class GraphBuilder {
 public:
  GraphBuilder(const Model& model, Graph* graph);

  int input() const { return graph_->input_value; }
  // Each returns the op's output value; errors are collected in status().
  int conv(std::string_view name, int in, int stride, int pad, int groups, bool has_bias);
  int batch_norm(std::string_view name, int in, bool relu);
  int relu(int in);
  int max_pool(int in, int kernel, int stride, int pad, bool ceil_mode = false);
  int adaptive_avg_pool(int in, int out_h, int out_w);
  int add(int a, int b, bool relu);
  int linear(std::string_view name, int in);  // flattens its input
  void finish(int out);

  const Status& status() const { return status_; }

 private:
  const float* f32(std::string_view name);
  Op& append(OpKind kind, std::string_view name, int in);

  const Model& model_;
  Graph* graph_;
  Status status_;
};

}  // namespace tvlite::detail
