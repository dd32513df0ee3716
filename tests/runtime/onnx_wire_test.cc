// runtime/onnx_wire against libonnx (which stays a host dependency, used here as the reference):
// every model and tensor of Debian's libonnx-testdata parses to the same facts; model_info's
// readers give what the libonnx-based readers they replaced gave; truncated, mutated, garbage and
// huge-length inputs are one-line errors (or, where libonnx accepts them too, the same parse),
// never crashes; unknown fields of every wire type are skipped at every level.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "arch/families.h"
#include "arch/weights.h"
#include "export/onnx_export.h"
#include "runtime/model_info.h"
#include "runtime/onnx_wire.h"

using namespace paramscale;
namespace wire = paramscale::runtime::onnx_wire;
namespace fs = std::filesystem;

namespace {

const std::string kTestdata = "/usr/share/libonnx-testdata/data";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> testdata_files(const std::string& extension) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(kTestdata, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == extension) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

// --- comparisons with libonnx's parse ------------------------------------------------------------

void expect_same_tensor(const onnx::TensorProto& ref, const wire::Tensor& t) {
  EXPECT_EQ(t.name, ref.name());
  EXPECT_EQ(t.data_type, ref.data_type());
  EXPECT_EQ(t.dims, std::vector<int64_t>(ref.dims().begin(), ref.dims().end()));
  EXPECT_EQ(t.has_raw_data, ref.has_raw_data());
  EXPECT_EQ(std::string(t.raw_data), ref.raw_data());
  EXPECT_EQ(t.typed_values, ref.float_data_size() + ref.int32_data_size() + ref.string_data_size() +
                                ref.int64_data_size() + ref.double_data_size() +
                                ref.uint64_data_size());
}

void expect_same_value_info(const onnx::ValueInfoProto& ref, const wire::ValueInfo& v) {
  EXPECT_EQ(v.name, ref.name());
  ASSERT_EQ(v.has_tensor_type, ref.type().has_tensor_type()) << ref.name();
  if (!v.has_tensor_type) return;
  const auto& tt = ref.type().tensor_type();
  EXPECT_EQ(v.elem_type, tt.elem_type());
  EXPECT_EQ(v.has_shape, tt.has_shape());
  ASSERT_EQ(v.shape.size(), static_cast<size_t>(tt.shape().dim_size()));
  for (size_t i = 0; i < v.shape.size(); ++i) {
    const auto& d = tt.shape().dim(static_cast<int>(i));
    EXPECT_EQ(v.shape[i].has_value, d.has_dim_value());
    EXPECT_EQ(v.shape[i].value, d.dim_value());
    EXPECT_EQ(v.shape[i].has_param, d.has_dim_param());
    EXPECT_EQ(v.shape[i].param, d.dim_param());
  }
}

void expect_same_model(const onnx::ModelProto& ref, const wire::Model& m) {
  ASSERT_EQ(m.opset_import.size(), static_cast<size_t>(ref.opset_import_size()));
  for (size_t i = 0; i < m.opset_import.size(); ++i) {
    EXPECT_EQ(m.opset_import[i].domain, ref.opset_import(int(i)).domain());
    EXPECT_EQ(m.opset_import[i].version, ref.opset_import(int(i)).version());
  }
  EXPECT_EQ(m.has_graph, ref.has_graph());
  const auto& g = ref.graph();
  ASSERT_EQ(m.graph.nodes.size(), static_cast<size_t>(g.node_size()));
  for (size_t i = 0; i < m.graph.nodes.size(); ++i) {
    const auto& n = g.node(int(i));
    EXPECT_EQ(m.graph.nodes[i].op_type, n.op_type());
    EXPECT_EQ(m.graph.nodes[i].domain, n.domain());
    EXPECT_EQ(m.graph.nodes[i].name, n.name());
    EXPECT_EQ(m.graph.nodes[i].inputs,
              std::vector<std::string>(n.input().begin(), n.input().end()));
    EXPECT_EQ(m.graph.nodes[i].outputs,
              std::vector<std::string>(n.output().begin(), n.output().end()));
  }
  ASSERT_EQ(m.graph.initializers.size(), static_cast<size_t>(g.initializer_size()));
  for (size_t i = 0; i < m.graph.initializers.size(); ++i)
    expect_same_tensor(g.initializer(int(i)), m.graph.initializers[i]);
  ASSERT_EQ(m.graph.inputs.size(), static_cast<size_t>(g.input_size()));
  for (size_t i = 0; i < m.graph.inputs.size(); ++i)
    expect_same_value_info(g.input(int(i)), m.graph.inputs[i]);
  ASSERT_EQ(m.graph.outputs.size(), static_cast<size_t>(g.output_size()));
  for (size_t i = 0; i < m.graph.outputs.size(); ++i)
    expect_same_value_info(g.output(int(i)), m.graph.outputs[i]);
}

// What read_model_info computed when it used libonnx (the code this module replaced), for the
// fields a ModelInfo has; ok() false where it returned an error.
Result<runtime::ModelInfo> libonnx_model_info(const onnx::ModelProto& model) {
  if (!model.has_graph()) return bad_input("no graph");
  const auto& g = model.graph();
  runtime::ModelInfo info;
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) {
    initializers.insert(t.name());
    if (!t.raw_data().empty()) {
      info.weight_bytes += static_cast<int64_t>(t.raw_data().size());
      continue;
    }
    int64_t n = 1;
    for (int64_t d : t.dims()) n *= d;
    const int32_t type = t.data_type();
    const int64_t size = type == 11 || type == 7 || type == 13                ? 8
                         : type == 10 || type == 16 || type == 5 || type == 4 ? 2
                         : type == 3 || type == 2 || type == 9                ? 1
                                                                              : 4;
    info.weight_bytes += n * size;
  }
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") info.opset = op.version();
  info.num_outputs = g.output_size();
  for (const auto& in : g.input()) {
    if (initializers.count(in.name()) || ++info.num_inputs > 1) continue;
    info.input_name = in.name();
    if (!in.type().has_tensor_type()) continue;
    info.input_elem_type = in.type().tensor_type().elem_type();
    for (const auto& d : in.type().tensor_type().shape().dim())
      info.input_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  if (info.num_inputs == 0 || info.num_outputs == 0) return bad_input("nothing to feed");
  return info;
}

void expect_same_info(const Result<runtime::ModelInfo>& ref,
                      const Result<runtime::ModelInfo>& got) {
  ASSERT_EQ(got.ok(), ref.ok()) << (got.ok() ? ref.error().message : got.error().message);
  if (!got.ok()) return;
  EXPECT_EQ(got->input_name, ref->input_name);
  EXPECT_EQ(got->input_elem_type, ref->input_elem_type);
  EXPECT_EQ(got->input_shape, ref->input_shape);
  EXPECT_EQ(got->num_inputs, ref->num_inputs);
  EXPECT_EQ(got->num_outputs, ref->num_outputs);
  EXPECT_EQ(got->weight_bytes, ref->weight_bytes);
  EXPECT_EQ(got->opset, ref->opset);
}

// The contract on any input: where libonnx parses it, onnx_wire parses it to the same facts; where
// onnx_wire rejects it, libonnx does too (onnx_wire skips fields it does not read, so it may accept
// bytes libonnx rejects inside those); an error is one line.
void expect_consistent_model(std::string_view bytes) {
  onnx::ModelProto ref;
  const bool ref_ok = ref.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  const auto m = wire::parse_model(bytes);
  if (ref_ok) {
    ASSERT_TRUE(m.ok()) << m.error().message;
    expect_same_model(ref, *m);
  }
  if (!m.ok()) {
    EXPECT_FALSE(ref_ok);
    EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(m.error().exit_code, 2);
  }
}

std::string exported_vgg11() {
  const auto net = *arch::build_network(arch::Family::VGG11, *arch::dataset_preset("cifar10"),
                                        {8, 16, 16, 16, 32, 32, 32, 32});
  // Per process: ctest runs the tests of this file as parallel processes.
  const std::string path =
      ::testing::TempDir() + "/onnx_wire_vgg11_" + std::to_string(getpid()) + ".onnx";
  EXPECT_TRUE(onnx_export::write_onnx(path, net, arch::random_weights(net, 1)).ok());
  std::string bytes = slurp(path);
  std::remove(path.c_str());
  return bytes;
}

// --- a tiny protobuf writer for hand-made inputs -------------------------------------------------

std::string varint(uint64_t v) {
  std::string s;
  do {
    s += static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return s;
}
std::string tag(uint32_t field, uint32_t type) { return varint(uint64_t(field) << 3 | type); }
std::string ld(uint32_t field, const std::string& bytes) {
  return tag(field, 2) + varint(bytes.size()) + bytes;
}

bool have_testdata() { return fs::exists(kTestdata + "/pytorch-converted/test_Conv2d/model.onnx"); }

}  // namespace

TEST(OnnxWire, EveryTestdataModelMatchesLibonnx) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto files = testdata_files(".onnx");
  ASSERT_GE(files.size(), 1000u);
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    const std::string bytes = slurp(path);
    onnx::ModelProto ref;
    ASSERT_TRUE(ref.ParseFromString(bytes));
    const auto m = wire::parse_model(bytes);
    ASSERT_TRUE(m.ok()) << m.error().message;
    expect_same_model(ref, *m);
    expect_same_info(libonnx_model_info(ref), runtime::read_model_info(path));
  }
  std::cout << "compared " << files.size() << " models with libonnx\n";
}

TEST(OnnxWire, EveryTestdataTensorMatchesLibonnx) {
  if (!have_testdata()) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto files = testdata_files(".pb");
  ASSERT_GE(files.size(), 1000u);
  int floats = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    const std::string bytes = slurp(path);
    onnx::TensorProto ref;
    const bool ref_ok = ref.ParseFromString(bytes);
    const auto t = wire::parse_tensor(bytes, true);
    if (!ref_ok) {  // not expected in the testdata, but the contract: rejected by both
      EXPECT_FALSE(t.ok());
      continue;
    }
    ASSERT_TRUE(t.ok()) << t.error().message;
    expect_same_tensor(ref, *t);
    EXPECT_EQ(t->float_data, std::vector<float>(ref.float_data().begin(), ref.float_data().end()));
    const auto read = runtime::read_tensor_pb(path);
    ASSERT_EQ(read.ok(), ref.data_type() == onnx::TensorProto::FLOAT);
    if (!read.ok() || bytes.empty()) continue;
    ++floats;
    EXPECT_EQ(read->dims, t->dims);
    std::vector<float> expected(ref.float_data().begin(), ref.float_data().end());
    if (!ref.raw_data().empty()) {
      expected.resize(ref.raw_data().size() / sizeof(float));
      std::memcpy(expected.data(), ref.raw_data().data(), expected.size() * sizeof(float));
    }
    ASSERT_EQ(read->values.size(), expected.size());
    if (!expected.empty()) {  // bytewise: NaN payloads must survive too
      EXPECT_EQ(0, std::memcmp(read->values.data(), expected.data(), expected.size() * 4));
    }
  }
  EXPECT_GT(floats, 1000);
}

TEST(OnnxWire, EveryTruncationIsAnErrorOrTheSameParseAsLibonnx) {
  std::vector<std::string> models = {exported_vgg11()};
  if (have_testdata())
    for (const char* m : {"/pytorch-converted/test_Conv2d/model.onnx",
                          "/pytorch-operator/test_operator_conv/model.onnx",
                          "/simple/test_sequence_model1/model.onnx"})
      models.push_back(slurp(kTestdata + m));
  for (const auto& bytes : models) {
    ASSERT_FALSE(bytes.empty());
    // Every prefix of the small models; about 4,000 of the exported one.
    const size_t step = std::max<size_t>(1, bytes.size() / 4000);
    for (size_t n = 0; n < bytes.size(); n += step) {
      SCOPED_TRACE("prefix of " + std::to_string(n) + " bytes");
      // A heap copy of exactly n bytes, so that AddressSanitizer sees any read past the end.
      std::unique_ptr<char[]> copy(new char[n]);
      std::memcpy(copy.get(), bytes.data(), n);
      expect_consistent_model(std::string_view(copy.get(), n));
    }
  }
}

TEST(OnnxWire, MutatedAndRandomBytesAreErrorsOrTheSameParseAsLibonnx) {
  std::vector<std::string> models = {exported_vgg11()};
  if (have_testdata())
    models.push_back(slurp(kTestdata + "/pytorch-converted/test_Conv2d/model.onnx"));
  std::mt19937_64 gen(7);
  int accepted_by_both = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = models[i % models.size()];
    const int edits = 1 + static_cast<int>(gen() % 4);
    for (int e = 0; e < edits; ++e) bytes[gen() % bytes.size()] = static_cast<char>(gen());
    SCOPED_TRACE("mutation " + std::to_string(i));
    expect_consistent_model(bytes);
    onnx::ModelProto ref;
    accepted_by_both += ref.ParseFromString(bytes) && wire::parse_model(bytes).ok();
  }
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(gen() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(gen());
    SCOPED_TRACE("random " + std::to_string(i));
    expect_consistent_model(bytes);
    onnx::TensorProto ref;
    const bool ref_ok = ref.ParseFromString(bytes);
    const auto t = wire::parse_tensor(bytes, true);
    if (ref_ok) {
      ASSERT_TRUE(t.ok()) << t.error().message;
      expect_same_tensor(ref, *t);
    }
    if (!t.ok()) {
      EXPECT_FALSE(ref_ok);
    }
  }
  // The comparison means something only if many mutants still parse.
  EXPECT_GT(accepted_by_both, 2000);
  std::cout << accepted_by_both << " of 20000 mutated models parsed by both readers\n";
}

TEST(OnnxWire, HugeDeclaredLengthsAreErrorsNotAllocations) {
  const std::string cases[] = {
      tag(7, 2) + varint(0x7fffffff) + "xyz",              // graph: 2 GiB - 1 declared, 3 bytes
      tag(7, 2) + varint(0xffffffffull),                   // beyond 2 GiB
      tag(7, 2) + "\xff\xff\xff\xff\xff\x01",              // length varint longer than 5 bytes
      ld(7, tag(5, 2) + varint(1u << 30)),                 // initializer longer than the graph
      ld(7, ld(5, tag(9, 2) + varint(100000) + "ab")),     // raw_data
      ld(7, ld(5, tag(1, 2) + varint(5000000) + "\x01")),  // packed dims
      ld(7, ld(5, ld(4, "abc"))),                          // packed floats, not a multiple of 4
      ld(7, ld(5, ld(1, "\x80\x80"))),                     // packed dims: truncated varint
      tag(1, 0) + std::string(11, '\xff'),                 // varint longer than 10 bytes
      tag(1, 1) + "1234567",                               // truncated fixed64
      tag(1, 5) + "123",                                   // truncated fixed32
      "\xff\xff\xff\xff\xff\x0f",                          // tag longer than 5 bytes
      tag(1, 6) + "x",                                     // invalid wire type 6
      tag(1, 4),                                           // end-group without a group
      tag(1, 3) + tag(2, 0) + "\x01",                      // group never closed
      tag(1, 3) + tag(2, 4),                               // end-group of another group
      std::string("\x00", 1),                              // field number 0
  };
  for (const auto& bytes : cases) {
    const auto m = wire::parse_model(bytes);
    ASSERT_FALSE(m.ok()) << "accepted " << testing::PrintToString(bytes);
    EXPECT_EQ(m.error().exit_code, 2);
    EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(m.error().message.rfind("protobuf parse failed at byte ", 0), 0u)
        << m.error().message;
    onnx::ModelProto ref;
    EXPECT_FALSE(ref.ParseFromString(bytes)) << testing::PrintToString(bytes);
  }
  const auto t = wire::parse_tensor(tag(4, 2) + varint(1u << 30) + "abcd", true);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("exceeds the 4 bytes left"), std::string::npos)
      << t.error().message;
}

TEST(OnnxWire, DeepGroupNestingIsAnErrorNotAStackOverflow) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += tag(1, 3);
  const auto m = wire::parse_model(deep);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("nested deeper than"), std::string::npos) << m.error().message;
  std::string shallow;  // 20 closed levels are fine
  for (int i = 0; i < 20; ++i) shallow += tag(1, 3);
  for (int i = 0; i < 20; ++i) shallow += tag(1, 4);
  EXPECT_TRUE(wire::parse_model(shallow + ld(7, "")).ok());
  expect_consistent_model(shallow);
}

// Unknown fields of all five wire types at every level, and known field numbers sent with another
// wire type (unknown to libprotobuf as well), change nothing.
TEST(OnnxWire, UnknownFieldsOfEveryWireTypeAreSkippedAtEveryLevel) {
  onnx::ModelProto model;
  auto* op = model.add_opset_import();
  op->set_version(13);
  auto* g = model.mutable_graph();
  auto* n = g->add_node();
  n->set_op_type("Conv");
  n->add_input("x");
  n->add_output("y");
  auto* t = g->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->add_float_data(1.5f);
  t->add_float_data(-2.0f);
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(3);
  g->add_output()->set_name("y");
  const std::string clean = model.SerializeAsString();

  std::vector<google::protobuf::Message*> levels = {&model,
                                                    op,
                                                    g,
                                                    n,
                                                    t,
                                                    in,
                                                    in->mutable_type(),
                                                    tt,
                                                    tt->mutable_shape(),
                                                    tt->mutable_shape()->mutable_dim(0)};
  for (auto* msg : levels) {
    auto* u = msg->GetReflection()->MutableUnknownFields(msg);
    u->AddVarint(1000, 5);
    u->AddFixed32(1001, 0xdeadbeef);
    u->AddFixed64(1002, 0x0123456789abcdefull);
    u->AddLengthDelimited(1003, "not\x01parsed");
    auto* group = u->AddGroup(1004);
    group->AddVarint(1, 1);
    group->AddGroup(2)->AddLengthDelimited(3, "deeper");
    for (uint32_t known = 1; known <= 12; ++known) u->AddGroup(known)->AddVarint(1, 7);
  }
  const std::string noisy = model.SerializeAsString();
  ASSERT_GT(noisy.size(), clean.size());
  onnx::ModelProto ref;
  ASSERT_TRUE(ref.ParseFromString(noisy));
  const auto a = wire::parse_model(clean);
  const auto b = wire::parse_model(noisy);
  ASSERT_TRUE(a.ok() && b.ok());
  expect_same_model(ref, *b);
  EXPECT_EQ(b->graph.initializers[0].typed_values, 2);
  EXPECT_EQ(b->graph.inputs[0].shape[1].value, 3);
  EXPECT_EQ(b->graph.nodes[0].op_type, "Conv");
}

TEST(OnnxWire, MergesSingularMessagesReadsPackedAndUnpackedAndClearsOneofs) {
  // Two graph fields merge; dims come unpacked and packed; dim_value then dim_param leaves the
  // param; a tensor_type followed by a sequence_type is no tensor type.
  const std::string dim = ld(1, tag(1, 0) + varint(4) + ld(2, "batch"));
  const std::string shape = ld(2, ld(1, "") + dim);
  const std::string typed = ld(2, ld(1, tag(1, 0) + varint(1) + shape));
  const std::string sequence = ld(2, ld(1, tag(1, 0) + varint(1)) + ld(4, ""));
  const std::string tensor = tag(1, 0) + varint(2) + ld(1, varint(3) + varint(300)) + ld(8, "w") +
                             ld(4, std::string("\0\0\x80?", 4));
  const std::string bytes =
      ld(7, ld(11, ld(1, "x") + typed) + ld(5, tensor)) + ld(8, ld(1, "") + tag(2, 0) + varint(9)) +
      ld(7, ld(11, ld(1, "s") + sequence) + ld(1, ld(4, "Relu") + tag(4, 0) + varint(1)));
  onnx::ModelProto ref;
  ASSERT_TRUE(ref.ParseFromString(bytes));
  const auto m = wire::parse_model(bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  expect_same_model(ref, *m);
  ASSERT_EQ(m->graph.inputs.size(), 2u);
  EXPECT_EQ(m->graph.initializers[0].dims, (std::vector<int64_t>{2, 3, 300}));
  EXPECT_TRUE(m->graph.inputs[0].shape[1].has_param);
  EXPECT_FALSE(m->graph.inputs[0].shape[1].has_value);
  EXPECT_FALSE(m->graph.inputs[1].has_tensor_type);
  ASSERT_EQ(m->graph.nodes.size(), 1u);
  EXPECT_EQ(m->graph.nodes[0].op_type, "Relu");  // the varint with op_type's number is skipped
  EXPECT_EQ(m->graph.initializers[0].typed_values, 1);
}

TEST(ModelInfo, TruncatedModelIsAOneLineBadInputNamingTheFile) {
  const std::string bytes = exported_vgg11();
  const std::string path =
      ::testing::TempDir() + "/onnx_wire_truncated_" + std::to_string(getpid()) + ".onnx";
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const auto info = runtime::read_model_info(path);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().exit_code, 2);
  EXPECT_EQ(info.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(info.error().message.rfind("'" + path + "' is not an ONNX model (protobuf parse", 0),
            0u)
      << info.error().message;
  const auto tensor = runtime::read_tensor_pb(path);
  ASSERT_FALSE(tensor.ok());
  EXPECT_EQ(tensor.error().exit_code, 2);
  std::remove(path.c_str());
}
