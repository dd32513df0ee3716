#include "util/json_file.h"

#include "util/atomic_file.h"
#include "util/files.h"

namespace paramscale {

Result<nlohmann::json> read_json_file(const std::string& path, const std::string& what,
                                      const std::string& cannot_open) {
  auto text = read_regular_file(path, what, kMaxTextFileBytes, cannot_open);
  if (!text.ok()) return text.error();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad_input(path + " is not valid JSON");
  return j;
}

Status write_json_file(const std::string& path, const nlohmann::json& j) {
  return write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace paramscale
