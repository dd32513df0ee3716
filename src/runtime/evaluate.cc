// Top-1 / top-5 accuracy through a backend; see evaluate.h.
#include "runtime/evaluate.h"

#include <algorithm>
#include <cmath>

namespace paramscale::runtime {

int label_rank(const float* logits, int classes, int label) {
  const float y = logits[label];
  if (std::isnan(y)) return classes;
  int above = 0;
  for (int j = 0; j < classes; ++j) above += logits[j] > y || (j < label && logits[j] == y);
  return above;
}

Result<EvalCounts> evaluate(Backend& b, const std::vector<int64_t>& shape,
                            const std::vector<int>& labels, int classes, const FillBatch& fill,
                            const EvalProgress& progress) {
  const int64_t batch = shape.at(0);
  int64_t per_image = 1;
  for (size_t d = 1; d < shape.size(); ++d) per_image *= shape[d];
  const int64_t total = static_cast<int64_t>(labels.size());
  std::vector<float> input(static_cast<size_t>(batch * per_image));
  EvalCounts c;
  for (int64_t first = 0; first < total; first += batch) {
    const int64_t n = std::min(batch, total - first);
    if (n < batch) std::fill(input.begin(), input.end(), 0.0f);
    fill(first, n, input.data());
    if (Status s = b.set_input(input); !s.ok()) return s.error();
    if (Status s = b.run(); !s.ok()) return s.error();
    const std::vector<float> out = b.output();
    if (out.size() != static_cast<size_t>(batch) * static_cast<size_t>(classes))
      return bad_input("the model gives " + std::to_string(out.size() / size_t(batch)) +
                       " outputs per image; the dataset has " + std::to_string(classes) +
                       " classes");
    for (int64_t i = 0; i < n; ++i) {
      const int r = label_rank(out.data() + i * classes, classes, labels[size_t(first + i)]);
      c.top1 += r < 1;
      c.top5 += r < 5;
    }
    c.images += n;
    if (progress) progress(c.images, total);
  }
  return c;
}

}  // namespace paramscale::runtime
