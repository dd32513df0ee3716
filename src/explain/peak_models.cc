// The microbenchmark models behind explain/peak.h, written with the ONNX library: one dense
// convolution, one matrix multiply, and the convolution in QDQ form (int8).
#include "explain/peak_models.h"

#include <onnx/onnx_pb.h>

#include <random>

#include "util/atomic_file.h"

namespace paramscale::explain {

namespace {

void value_info(onnx::ValueInfoProto* v, const std::string& name,
                const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

template <typename T>
void initializer(onnx::GraphProto* g, const std::string& name, int type,
                 const std::vector<int64_t>& dims, const std::vector<T>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
}

std::vector<float> seeded(size_t n, float scale) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = u(gen);
  return v;
}

onnx::NodeProto* node(onnx::GraphProto* g, const char* op, std::vector<std::string> in,
                      const std::string& out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(out);
  for (auto& i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

void ints(onnx::NodeProto* n, const char* name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

onnx::ModelProto model_shell(onnx::GraphProto** g) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("paramscale-peak");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(13);
  *g = m.mutable_graph();
  (*g)->set_name("peak");
  return m;
}

Status write(const onnx::ModelProto& m, const std::string& path) {
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return failure("cannot serialise a microbenchmark model");
  return write_file_atomic(path, bytes);
}

}  // namespace

Result<MicroModel> write_conv_model(const std::string& path, bool int8, int64_t c, int64_t hw) {
  onnx::GraphProto* g = nullptr;
  onnx::ModelProto m = model_shell(&g);
  value_info(g->add_input(), "input", {1, c, hw, hw});
  value_info(g->add_output(), "output", {1, c, hw, hw});
  initializer(g, "w", onnx::TensorProto::FLOAT, {c, c, 3, 3}, seeded(c * c * 9, 0.05f));
  initializer(g, "b", onnx::TensorProto::FLOAT, {c}, seeded(c, 0.1f));
  std::string x = "input", w = "w", out = int8 ? "conv_out" : "output";
  if (int8) {
    // input -> Q -> DQ -> Conv(DQ(w)) -> Q -> DQ: ONNX Runtime fuses it into QLinearConv.
    initializer(g, "x_scale", onnx::TensorProto::FLOAT, {}, std::vector<float>{1.0f / 127});
    initializer(g, "x_zp", onnx::TensorProto::UINT8, {}, std::vector<uint8_t>{128});
    initializer(g, "y_scale", onnx::TensorProto::FLOAT, {}, std::vector<float>{0.05f});
    initializer(g, "y_zp", onnx::TensorProto::UINT8, {}, std::vector<uint8_t>{128});
    std::vector<int8_t> wq(static_cast<size_t>(c * c * 9));
    std::mt19937 gen(7);
    for (auto& q : wq) q = static_cast<int8_t>(static_cast<int>(gen() % 255) - 127);
    initializer(g, "w_q", onnx::TensorProto::INT8, {c, c, 3, 3}, wq);
    initializer(g, "w_scale", onnx::TensorProto::FLOAT, {}, std::vector<float>{0.001f});
    node(g, "QuantizeLinear", {"input", "x_scale", "x_zp"}, "x_q");
    node(g, "DequantizeLinear", {"x_q", "x_scale", "x_zp"}, "x_dq");
    node(g, "DequantizeLinear", {"w_q", "w_scale"}, "w_dq");
    x = "x_dq";
    w = "w_dq";
  }
  auto* conv = node(g, "Conv", {x, w, "b"}, out);
  ints(conv, "kernel_shape", {3, 3});
  ints(conv, "pads", {1, 1, 1, 1});
  if (int8) {
    node(g, "QuantizeLinear", {out, "y_scale", "y_zp"}, "y_q");
    node(g, "DequantizeLinear", {"y_q", "y_scale", "y_zp"}, "output");
  }
  if (Status s = write(m, path); !s.ok()) return s.error();
  return MicroModel{path, {1, c, hw, hw}, c * hw * hw * c * 9};
}

Result<MicroModel> write_matmul_model(const std::string& path) {
  const int64_t n = 1024;
  onnx::GraphProto* g = nullptr;
  onnx::ModelProto m = model_shell(&g);
  value_info(g->add_input(), "input", {n, n});
  value_info(g->add_output(), "output", {n, n});
  initializer(g, "w", onnx::TensorProto::FLOAT, {n, n}, seeded(n * n, 0.05f));
  node(g, "MatMul", {"input", "w"}, "output");
  if (Status s = write(m, path); !s.ok()) return s.error();
  return MicroModel{path, {n, n}, n * n * n};
}

}  // namespace paramscale::explain
