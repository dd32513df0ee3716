// The two executables of a build with libtorch (cli/torch_handoff.h): which command lines need
// libtorch, that paramscale itself does not link it, that it hands those command lines to
// paramscale-torch unchanged, and the one-line error when paramscale-torch is missing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/torch_handoff.h"
#include "runtime/child.h"
#include "runtime/measure.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace paramscale::test {
namespace {

using cli::needs_torch;

TEST(TorchHandoff, CommandLinesThatNeedLibtorch) {
  EXPECT_TRUE(needs_torch({"train", "--model", "vgg11"}));
  EXPECT_TRUE(needs_torch({"search", "--help"}));
  EXPECT_TRUE(needs_torch({"eval", "m.onnx"}));
  EXPECT_TRUE(needs_torch({"quantize", "m.onnx"}));
  EXPECT_TRUE(needs_torch({"bench", "run", "--runtime", "torch"}));
  EXPECT_TRUE(needs_torch({"bench", "run", "--runtime", "ort,torch"}));
  EXPECT_TRUE(needs_torch({"bench", "run", "--runtime=opencv,torch,ort"}));

  EXPECT_FALSE(needs_torch({}));
  EXPECT_FALSE(needs_torch({"--help"}));
  EXPECT_FALSE(needs_torch({"scale", "-m", "vgg11"}));
  EXPECT_FALSE(needs_torch({"bench", "m.onnx", "--runtime", "ort,opencv"}));
  EXPECT_FALSE(needs_torch({"bench", "torch", "--runtime", "ort"}));  // a model file named torch
  EXPECT_FALSE(needs_torch({"bench", "m.onnx", "--runtime", "torchvision"}));
  EXPECT_FALSE(needs_torch({"bench", "m.onnx", "--runtime"}));
  EXPECT_FALSE(needs_torch({"study", "--preset", "quick", "-o", "train"}));
  // --runtime only filters records there.
  EXPECT_FALSE(needs_torch({"recommend", "--records", "r.json", "--runtime", "torch"}));
  // Only a measurement child reads its request; other commands' JSON arguments are data.
  EXPECT_FALSE(needs_torch({"report", R"({"runtime":"torch"})"}));
}

// What runtime::measure_in_child hands its child: a torch request goes on to paramscale-torch,
// every other one is measured by the paramscale without libtorch.
TEST(TorchHandoff, MeasurementChildrenByTheirRequest) {
  runtime::MeasureRequest request;
  request.model_path = "/runs/vgg11";
  for (const char* runtime : {"torch", "ort", "opencv"}) {
    request.backend.runtime = runtime;
    EXPECT_EQ(needs_torch({runtime::kChildCommand, "--request",
                           runtime::request_to_json(request).dump(), "--result-fd", "3"}),
              std::string(runtime) == "torch")
        << runtime;
  }
}

#ifdef PARAMSCALE_TORCH_BUILD

TEST(TorchHandoff, ParamscaleDoesNotLinkLibtorch) {
  const CommandResult r = run_command(std::string("readelf -d ") + PARAMSCALE_BINARY);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("libonnxruntime"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("libtorch"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("libc10"), std::string::npos) << r.out;
}

TEST(TorchHandoff, TorchCommandsRunInParamscaleTorch) {
  // Top-level help lists them; their own help comes from paramscale-torch, which parses them.
  CommandResult r = run_paramscale("--help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& c : cli::torch_commands())
    EXPECT_NE(r.out.find(std::string("  ") + c.name + " "), std::string::npos) << c.name;
  r = run_paramscale("train --help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--checkpoint-minutes"), std::string::npos) << r.out;
  // A bad flag of a torch command is paramscale-torch's one-line usage error, exit 2.
  r = run_paramscale("search --model vgg11 --no-such-flag -o x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

TEST(TorchHandoff, MissingParamscaleTorchIsAOneLineError) {
  TempDir dir;
  const std::string binary = PARAMSCALE_BINARY;
  const std::string lone = dir / "paramscale";
  ASSERT_EQ(run_command("cp " + binary + " " + lone).exit_code, 0);
  // Its ONNX Runtime is found through a $ORIGIN runpath, and $ORIGIN is now elsewhere.
  const std::string dynamic = run_command("readelf -d " + binary).out;
  const size_t at = dynamic.find("runpath: [");
  ASSERT_NE(at, std::string::npos) << dynamic;
  std::string libs = dynamic.substr(at + 10, dynamic.find(']', at) - at - 10);
  for (size_t o; (o = libs.find("$ORIGIN")) != std::string::npos;)
    libs.replace(o, 7, binary.substr(0, binary.rfind('/')));
  const std::string env = "LD_LIBRARY_PATH='" + libs + "' ";
  CommandResult r = run_command(env + lone + " scale -m vgg11 -b params:0.5");
  ASSERT_EQ(r.exit_code, 0) << r.err;  // what needs no libtorch still works
  r = run_command(env + lone + " train --model vgg11 -o " + (dir / "run"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err, "paramscale: error: this command needs libtorch, which runs in " +
                       (dir / "paramscale-torch") + ": No such file or directory\n");
}

#endif

}  // namespace
}  // namespace paramscale::test
