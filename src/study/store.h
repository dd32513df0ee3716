// study/store: the results of a study directory — one JSON record per cell plus an SQLite index.
//
// Records (cells/<key>.json) are the source of truth, written atomically (temp file + rename), so a
// record either exists whole or not at all. The SQLite index (index.sqlite, schema versioned) is
// derived from them: reindex() rebuilds it, so a study killed between a record's rename and its
// index insert is repaired on resume. Safe for several processes at once (SQLite busy timeout;
// distinct records per cell). Malformed records are reported and skipped, never fatal.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/atomic_file.h"
#include "util/result.h"

namespace paramscale::study {

constexpr int kRecordSchemaVersion = 1;
constexpr int kIndexSchemaVersion = 1;

struct LoadedRecords {
  std::vector<nlohmann::json> records;
  std::vector<std::string> problems;  // one line per unreadable record
};

class Store {
 public:
  explicit Store(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string record_path(const std::string& key) const;
  bool has_record(const std::string& key) const;
  Status write_record(const std::string& key, const nlohmann::json& record) const;
  LoadedRecords load() const;  // every record that passes check_record (study/record.h)
  Status index(const nlohmann::json& record) const;  // upsert one record into the index
  Status reindex() const;                            // rebuild the index from every record

 private:
  Result<nlohmann::json> read_record(const std::string& path, const std::string& key) const;
  std::string dir_;
};

}  // namespace paramscale::study
