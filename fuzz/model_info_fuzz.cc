// Fuzz target: the ONNX model inspection bench does before measuring (runtime/model_info), through
// its public functions only, whatever parses the protobuf behind them.
#include "fuzz/fuzz_support.h"
#include "runtime/model_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string path = fuzz::scratch_file(data, size, "model.onnx");
  auto info = runtime::read_model_info(path);
  if (!info.ok()) {
    fuzz::check_one_line(info.error().message);
  } else {
    for (int batch : {1, 8})
      if (auto shape = runtime::feed_shape(*info, batch); !shape.ok())
        fuzz::check_one_line(shape.error().message);
  }
  if (auto layout = runtime::count_conv_layout(path); layout.ok()) {
    if (layout->nchwc_convs > layout->convs) std::abort();
  } else {
    fuzz::check_one_line(layout.error().message);
  }
  return 0;
}
