#include "study/slurm_submissions.h"

#include <algorithm>

#include "study/stages.h"
#include "util/atomic_file.h"
#include "util/files.h"

namespace paramscale::study {

std::string submissions_path(const std::string& dir) { return dir + "/slurm/submissions.json"; }

namespace {

Result<Submission> submission_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer() || !j.contains("waves") ||
      !j["waves"].is_object())
    return failure("a submission has no id or waves");
  Submission s;
  s.id = j["id"].get<int>();
  s.submitted = j.value("submitted", "");
  for (auto it = j["waves"].begin(); it != j["waves"].end(); ++it) {
    const nlohmann::json& w = it.value();
    if (std::find(kWaves.begin(), kWaves.end(), it.key()) == kWaves.end() || !w.is_object() ||
        !w.contains("job") || !w["job"].is_string() || !w.contains("tasks") ||
        !w["tasks"].is_array())
      return failure("submission " + std::to_string(s.id) + " has a malformed wave '" + it.key() +
                     "'");
    s.waves[it.key()] =
        Wave{w["job"].get<std::string>(), w["tasks"].get<std::vector<nlohmann::json>>()};
  }
  return s;
}

}  // namespace

Result<Submissions> read_submissions(const std::string& dir) {
  const std::string path = submissions_path(dir);
  Submissions subs;
  if (!is_regular_file(path)) return subs;
  auto j = read_study_file(path);
  if (!j.ok()) return j.error();
  if (!j->is_object() || j->value("schema", "") != kSubmissionsSchema ||
      !j->contains("submissions") || !(*j)["submissions"].is_array() || !j->contains("cells") ||
      !(*j)["cells"].is_array())
    return failure(path + " is not a " + kSubmissionsSchema + " file");
  subs.cells = (*j)["cells"].get<std::vector<nlohmann::json>>();
  for (const nlohmann::json& s : (*j)["submissions"]) {
    auto sub = submission_from_json(s);
    if (!sub.ok()) return failure(path + ": " + sub.error().message);
    subs.list.push_back(*sub);
  }
  return subs;
}

Status write_submissions(const std::string& dir, const Submissions& subs) {
  nlohmann::json list = nlohmann::json::array();
  for (const Submission& s : subs.list) {
    nlohmann::json waves = nlohmann::json::object();
    for (const auto& [name, w] : s.waves) waves[name] = {{"job", w.job}, {"tasks", w.tasks}};
    list.push_back({{"id", s.id}, {"submitted", s.submitted}, {"waves", waves}});
  }
  const nlohmann::json j = {
      {"schema", kSubmissionsSchema}, {"cells", subs.cells}, {"submissions", list}};
  return write_file_atomic(submissions_path(dir), j.dump(1) + "\n");
}

Result<nlohmann::json> find_task(const Submissions& subs, int id, const std::string& wave,
                                 int index) {
  for (const Submission& s : subs.list) {
    if (s.id != id) continue;
    const auto w = s.waves.find(wave);
    if (w == s.waves.end()) break;
    if (index < 0 || index >= static_cast<int>(w->second.tasks.size()))
      return failure("submission " + std::to_string(id) + " has no " + wave + " task " +
                     std::to_string(index));
    return w->second.tasks[index];
  }
  return failure("submission " + std::to_string(id) + " has no " + wave + " wave");
}

}  // namespace paramscale::study
