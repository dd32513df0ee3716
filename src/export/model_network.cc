// network_of_model: the IR behind an exported ONNX file, from its metadata (onnx_export.h).
#include <onnx/onnx_pb.h>

#include <fstream>
#include <sstream>

#include "arch/families.h"
#include "export/onnx_export.h"

namespace paramscale::onnx_export {

Result<std::optional<arch::Network>> network_of_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_input("cannot read '" + path + "'");
  std::stringstream bytes;
  bytes << in.rdbuf();
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes.str()))
    return bad_input("'" + path + "' is not an ONNX model (protobuf parse failed)");
  std::string family, dataset, widths;
  for (const auto& p : model.metadata_props()) {
    if (p.key() == kMetaModel) family = p.value();
    if (p.key() == kMetaDataset) dataset = p.value();
    if (p.key() == kMetaWidths) widths = p.value();
  }
  if (family.empty() && dataset.empty() && widths.empty()) return std::optional<arch::Network>();
  const std::string where = "'" + path + "' metadata: ";
  auto f = arch::family_from_name(family);
  if (!f.ok()) return bad_input(where + f.error().message);
  auto d = arch::dataset_preset(dataset);
  if (!d.ok()) return bad_input(where + d.error().message);
  std::vector<int> w;
  std::stringstream list(widths);
  for (std::string item; std::getline(list, item, ',');) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > (1 << 20))
      return bad_input(where + "widths '" + widths + "' are not positive integers");
    w.push_back(static_cast<int>(v));
  }
  auto net = arch::build_network(*f, *d, w);
  if (!net.ok()) return bad_input(where + net.error().message);
  return std::optional<arch::Network>(std::move(*net));
}

}  // namespace paramscale::onnx_export
