// runtime/evaluate: the accuracy a deployed classifier gets — a labelled image set run through a
// Backend (ONNX Runtime, OpenCV DNN or libtorch) batch by batch, top-1 and top-5 counted.
//
// What it promises:
// - A label is in the top k when fewer than k classes rank above it; class j ranks above label y
//   when its logit is greater, or equal with j < y (so top-1 is argmax with ties to the lower
//   index, as libtorch's argmax in training's evaluation). A NaN logit for the label is a miss.
// - Every image is run exactly once, in order; the last, partial batch is padded with zeros to the
//   loaded batch size (a model may have a fixed batch) and the padding's outputs are ignored.
// - The model must give `classes` outputs per image: anything else is a bad-input Error before any
//   image is counted. Inference failures are the backend's Errors.
// Torch-free: the images come from `fill`, which writes normalised floats for images
// [first, first + count) into `out` (count x C x H x W).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "runtime/backend.h"
#include "util/result.h"

namespace paramscale::runtime {

// Classes ranking above `label` (see above); `classes` logits.
int label_rank(const float* logits, int classes, int label);

struct EvalCounts {
  int64_t images = 0, top1 = 0, top5 = 0;
};

using FillBatch = std::function<void(int64_t first, int64_t count, float* out)>;
using EvalProgress = std::function<void(int64_t done, int64_t total)>;

// `b` is loaded with shape [batch, C, H, W]; `labels` holds one label per image.
Result<EvalCounts> evaluate(Backend& b, const std::vector<int64_t>& shape,
                            const std::vector<int>& labels, int classes, const FillBatch& fill,
                            const EvalProgress& progress = nullptr);

}  // namespace paramscale::runtime
