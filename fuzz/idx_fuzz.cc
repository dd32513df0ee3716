// Fuzz target: the IDX readers (Fashion-MNIST images and labels, gzipped or plain).
#include "fuzz/fuzz_support.h"
#include "nn/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace paramscale;
  const std::string path = fuzz::scratch_file(data, size);
  if (auto images = nn::read_idx_images(path, 0, 0); !images.ok())
    fuzz::check_one_line(images.error().message);
  else if (images->pixels.size() != size_t(images->size() * images->sample_bytes()))
    std::abort();
  if (auto labels = nn::read_idx_labels(path, 10); !labels.ok())
    fuzz::check_one_line(labels.error().message);
  return 0;
}
