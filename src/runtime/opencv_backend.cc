// runtime/opencv_backend: OpenCV DNN (cv::dnn::readNetFromONNX) on the CPU.
//
// Threads via cv::setNumThreads (process-wide: fine, one model per process). The OpenCV backend and
// CPU target are forced so the result never depends on an optional accelerator.
#include <opencv2/core/utility.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>

#include "runtime/backend.h"
#include "util/text.h"

namespace paramscale::runtime {

namespace {

class OpenCvBackend final : public Backend {
 public:
  explicit OpenCvBackend(const BackendOptions& o) : opts_(o) {
    cv::setNumThreads(o.threads);
    // OpenCV logs an importer failure on stderr before it throws; the exception carries the same
    // text, and a second line would break the one-line error of eval and bench.
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  }

  std::string name() const override { return "opencv-dnn"; }
  std::string version() const override { return CV_VERSION; }
  nlohmann::json options() const override {
    return {{"threads", cv::getNumThreads()}, {"dnn_backend", "opencv"}, {"dnn_target", "cpu"}};
  }

  Status load(const std::string& path, const std::vector<int64_t>& shape) override {
    try {
      net_ = cv::dnn::readNetFromONNX(path);
      if (net_.empty()) return bad_input("opencv-dnn read an empty network from '" + path + "'");
      net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    } catch (const std::exception& e) {
      return bad_input("opencv-dnn cannot load '" + path + "': " + one_line(e.what()));
    }
    shape_.assign(shape.begin(), shape.end());
    return {};
  }

  Status set_input(const std::vector<float>& input) override {
    std::vector<int> dims(shape_.begin(), shape_.end());
    blob_ = cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F);
    if (blob_.total() != input.size())
      return bad_input("opencv-dnn: input has " + std::to_string(input.size()) +
                       " floats, shape needs " + std::to_string(blob_.total()));
    std::copy(input.begin(), input.end(), blob_.ptr<float>());
    return {};
  }

  Status run() override {
    try {
      net_.setInput(blob_);
      out_ = net_.forward();
    } catch (const std::exception& e) {
      return failure("opencv-dnn inference failed: " + one_line(e.what()));
    }
    return {};
  }

  std::vector<float> output() const override {
    if (out_.empty() || out_.type() != CV_32F) return {};
    cv::Mat c = out_.isContinuous() ? out_ : out_.clone();
    return std::vector<float>(c.ptr<float>(), c.ptr<float>() + c.total());
  }
  std::vector<int64_t> output_shape() const override {
    std::vector<int64_t> s;
    for (int i = 0; i < out_.dims; ++i) s.push_back(out_.size[i]);
    return s;
  }
  nlohmann::json allocator_stats() const override {
    return {{"available", false}, {"reason", "OpenCV DNN has no allocator statistics API"}};
  }

 private:
  BackendOptions opts_;
  cv::dnn::Net net_;
  std::vector<int> shape_;
  cv::Mat blob_, out_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_opencv_backend(const BackendOptions& options) {
  return std::unique_ptr<Backend>(std::make_unique<OpenCvBackend>(options));
}

}  // namespace paramscale::runtime
