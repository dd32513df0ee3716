// Fuzz target: one TinyImageNet folder entry (a 64x64 JPEG, libjpeg behind the reader).
#include "fuzz/fuzz_support.h"
#include "nn/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string path = fuzz::scratch_file(data, size, "image.JPEG");
  auto image = nn::read_jpeg_image(path, 64);
  if (!image.ok())
    fuzz::check_one_line(image.error().message);
  else if (image->pixels.size() != 3 * 64 * 64 || image->labels.size() != 1)
    std::abort();
  return 0;
}
