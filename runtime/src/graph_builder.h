// Shared steps of the family builders: bind a layer's tensors (in place) and append its op.
#pragma once
#include <string>

#include "graph.h"

namespace tvlite::detail {

class GraphBuilder {
 public:
  GraphBuilder(const Model& model, Graph* graph);

  int input() const { return graph_->input_value; }
  // Each returns the op's output value; errors are collected in status().
  int conv(const std::string& name, int in, int stride, int pad, int groups, bool has_bias);
  int batch_norm(const std::string& name, int in, bool relu);
  int relu(int in);
  int max_pool(int in, int kernel, int stride, int pad, bool ceil_mode = false);
  int adaptive_avg_pool(int in, int out_h, int out_w);
  int add(int a, int b, bool relu);
  int linear(const std::string& name, int in);  // flattens its input
  void finish(int out);

  const Status& status() const { return status_; }

 private:
  const float* f32(const std::string& name);
  Op& append(OpKind kind, const std::string& name, int in);

  const Model& model_;
  Graph* graph_;
  Status status_;
};

}  // namespace tvlite::detail
