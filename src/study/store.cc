#include "study/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>

#include "study/record.h"
#include "util/files.h"

namespace paramscale::study {

std::string Store::record_path(const std::string& key) const {
  return dir_ + "/cells/" + key + ".json";
}

Result<nlohmann::json> Store::read_record(const std::string& path, const std::string& key) const {
  auto text = read_regular_file(path, "study record", kMaxTextFileBytes);
  if (!text.ok()) return text.error();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return bad_input(path + ": not valid JSON (truncated?), skipped");
  if (Status s = check_record(j, key); !s.ok())
    return bad_input(path + ": " + s.error().message + ", skipped");
  return j;
}

bool Store::has_record(const std::string& key) const {
  // A record that does not parse or check (truncated by a full disk, edited by hand) is no
  // record: its cell is redone and the record rewritten.
  return read_record(record_path(key), key).ok();
}

Status Store::write_record(const std::string& key, const nlohmann::json& record) const {
  ::mkdir((dir_ + "/cells").c_str(), 0755);
  return write_file_atomic(record_path(key), record.dump(2) + "\n");
}

LoadedRecords Store::load() const {
  LoadedRecords out;
  std::vector<std::string> names;
  if (DIR* d = ::opendir((dir_ + "/cells").c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      const auto ends = [&n](const std::string& s) {
        return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
      };
      // <key>.bench.json and <key>.explain.json beside a record are the raw stage outputs it was
      // made from.
      if (ends(".json") && !ends(".bench.json") && !ends(".explain.json")) names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    // The file name is <key>.json: a record must be its own cell's.
    auto r = read_record(dir_ + "/cells/" + n, n.substr(0, n.size() - 5));
    if (r.ok())
      out.records.push_back(std::move(r).value());
    else
      out.problems.push_back(r.error().message);
  }
  return out;
}

namespace {
struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = failure(std::string("study index: ") + (err ? err : "sqlite error"));
    sqlite3_free(err);
    return e;
  }
  return {};
}

Status open_index(const std::string& dir, Db& h) {
  if (sqlite3_open((dir + "/index.sqlite").c_str(), &h.db) != SQLITE_OK)
    return failure("cannot open " + dir + "/index.sqlite");
  sqlite3_busy_timeout(h.db, 30000);  // other study processes may be writing
  return exec(h.db,
              "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
              "INSERT OR IGNORE INTO meta VALUES('schema_version','1');"
              "CREATE TABLE IF NOT EXISTS cells(key TEXT PRIMARY KEY, model TEXT, method TEXT,"
              " budget TEXT, seed INTEGER, runtime TEXT, threads INTEGER, opt_level TEXT,"
              " params INTEGER, macs INTEGER, peak_activation_bytes INTEGER, test_accuracy REAL,"
              " latency_median_ms REAL, latency_p90_ms REAL, runtime_memory_bytes INTEGER,"
              " record_path TEXT);");
}

Status upsert(sqlite3* db, const nlohmann::json& r, const std::string& path) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO cells VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &st, nullptr) != SQLITE_OK)
    return failure("study index: cannot prepare insert");
  const auto& c = r["cell"];
  auto text = [&](int i, const nlohmann::json& v) {
    const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
    sqlite3_bind_text(st, i, s.c_str(), -1, SQLITE_TRANSIENT);
  };
  auto number = [&](int i, const nlohmann::json& v) {
    if (v.is_number())
      sqlite3_bind_double(st, i, v.get<double>());
    else
      sqlite3_bind_null(st, i);
  };
  const nlohmann::json none;
  auto at = [&](const char* a, const char* b) -> const nlohmann::json& {
    return r.contains(a) && r[a].is_object() && r[a].contains(b) ? r[a][b] : none;
  };
  text(1, r.value("key", ""));
  text(2, c.value("model", ""));
  text(3, c.value("method", ""));
  text(4, c.value("budget", ""));
  number(5, c.value("seed", nlohmann::json()));
  text(6, c.value("runtime", ""));
  number(7, c.value("threads", nlohmann::json()));
  text(8, c.value("opt_level", ""));
  number(9, at("analysis", "params"));
  number(10, at("analysis", "macs"));
  number(11, at("analysis", "peak_activation_bytes"));
  number(12, at("accuracy", "best_test"));
  number(13, at("latency_ms", "median"));
  number(14, at("latency_ms", "p90"));
  number(15, at("memory", "runtime_bytes"));
  text(16, path);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? Status() : Status(failure("study index: insert failed"));
}
}  // namespace

Status Store::index(const nlohmann::json& record) const {
  Db h;
  if (Status s = open_index(dir_, h); !s.ok()) return s;
  return upsert(h.db, record, record_path(record.value("key", "")));
}

Status Store::reindex() const {
  Db h;
  Status opened = open_index(dir_, h);
  if (opened.ok()) opened = exec(h.db, "BEGIN IMMEDIATE; DELETE FROM cells;");
  if (!opened.ok()) {
    // The index is derived from the records: one that is not a database (or has another schema)
    // is removed and built again.
    sqlite3_close(h.db);
    h.db = nullptr;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"})
      std::remove((dir_ + "/index.sqlite" + suffix).c_str());
    if (Status s = open_index(dir_, h); !s.ok()) return s;
    if (Status s = exec(h.db, "BEGIN IMMEDIATE; DELETE FROM cells;"); !s.ok()) return s;
  }
  for (const auto& r : load().records)
    if (Status s = upsert(h.db, r, record_path(r.value("key", ""))); !s.ok()) {
      (void)exec(h.db, "ROLLBACK;");
      return s;
    }
  return exec(h.db, "COMMIT;");
}

}  // namespace paramscale::study
