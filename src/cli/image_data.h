// cli/image_data: what `eval` and `quantize` share — a labelled image set checked against the
// model that will read it. Header-only and torch-free (nn/dataset.h), but the readers live in
// ps_nn, so only *_torch_cmd.cc commands include it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/command.h"
#include "nn/dataset.h"

namespace paramscale::cli {

inline std::string dims_text(const std::vector<int64_t>& dims, size_t from = 0) {
  std::string s;
  for (size_t i = from; i < dims.size(); ++i)
    s += (i > from ? "x" : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s;
}

// The model's input [N, C, H, W] against the images: a one-line bad-input error on mismatch.
inline void check_images_fit(const std::vector<int64_t>& input, const nn::ImageSet& images,
                             const std::string& dataset) {
  if (input.size() != 4)
    fail_usage("the model's input has shape " + dims_text(input) +
               "; an image classifier takes a 4-D NCHW input");
  const std::vector<int64_t> want = {images.channels, images.height, images.width};
  if (input[1] != want[0] || input[2] != want[1] || input[3] != want[2])
    fail_usage("the model's input is " + dims_text(input, 1) + " but " + dataset + " images are " +
               dims_text(want) + (input[1] != want[0] ? " (channel count differs)" : ""));
}

}  // namespace paramscale::cli
