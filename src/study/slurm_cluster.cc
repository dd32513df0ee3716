#include "study/slurm_cluster.h"

#include <cstdlib>
#include <sstream>

#include "util/subprocess.h"

namespace paramscale::study {

namespace {

constexpr double kCommandSeconds = 60;

Result<ProcessResult> slurm_command(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout_seconds = kCommandSeconds;
  auto r = run_process(spec);
  if (!r.ok()) return failure(spec.argv[0] + " is not available (" + r.error().message + ")");
  if (r->exit_code == 127) return failure(spec.argv[0] + " is not installed (Slurm's client tools)");
  if (r->timed_out)
    return failure(spec.argv[0] + " did not answer within " +
                   std::to_string(static_cast<int>(kCommandSeconds)) + " s");
  return r;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

bool TaskState::finished() const { return state != "PENDING" && state != "RUNNING" &&
                                          state != "CONFIGURING" && state != "COMPLETING" &&
                                          state != "SUSPENDED" && state != "REQUEUED"; }
bool TaskState::succeeded() const { return state == "COMPLETED"; }

Status check_slurm() {
  auto v = slurm_command({"sbatch", "--version"});
  if (!v.ok()) return v.error();
  if (!v->success()) return failure("sbatch does not run: " + v->last_err_line());
  auto q = slurm_command({"squeue", "-h", "-o", "%i"});
  if (!q.ok()) return q.error();
  if (!q->success())
    return failure("the Slurm controller does not answer (squeue: " + q->last_err_line() + ")");
  return {};
}

Result<std::string> submit_array(const ArraySpec& s) {
  if (s.tasks < 1) return failure("nothing to submit for " + s.name);
  std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name=" + s.name,
                                   "--time=" + s.time,
                                   "--array=0-" + std::to_string(s.tasks - 1) +
                                       (s.max_concurrent > 0 ? "%" + std::to_string(s.max_concurrent)
                                                             : "")};
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  if (!s.gres.empty()) argv.push_back("--gres=" + s.gres);
  if (!s.constraint.empty()) argv.push_back("--constraint=" + s.constraint);
  if (s.exclusive) argv.push_back("--exclusive");
  if (!s.dependency.empty()) argv.push_back("--dependency=" + s.dependency);
  if (!s.output.empty()) argv.push_back("--output=" + s.output);
  argv.insert(argv.end(), s.extra.begin(), s.extra.end());
  argv.push_back(s.script);
  auto r = slurm_command(argv);
  if (!r.ok()) return r.error();
  if (!r->success()) return failure("sbatch refused " + s.name + ": " + r->last_err_line());
  std::string id = trimmed(r->out);
  if (const size_t semi = id.find(';'); semi != std::string::npos) id = id.substr(0, semi);
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    return failure("sbatch printed no job id for " + s.name + " ('" + id + "')");
  return id;
}

Result<std::map<int, TaskState>> array_states(const std::string& job_id) {
  // -r: one line per array task; -t all: finished jobs too (kept for MinJobAge).
  auto r = slurm_command({"squeue", "-h", "-r", "-t", "all", "-j", job_id, "-o", "%i %T %r"});
  if (!r.ok()) return r.error();
  std::map<int, TaskState> out;
  // A job squeue no longer knows ("Invalid job id specified") has no states to report.
  if (!r->success()) return out;
  std::stringstream in(r->out);
  for (std::string line; std::getline(in, line);) {
    std::stringstream words(line);
    std::string id, state, reason;
    words >> id >> state;
    std::getline(words, reason);
    const size_t us = id.find('_');
    if (us == std::string::npos || id.substr(0, us) != job_id) continue;
    const std::string index = id.substr(us + 1);
    if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) continue;
    out[std::stoi(index)] = {state, trimmed(reason.empty() ? reason : reason.substr(1))};
  }
  return out;
}

Status cancel_job(const std::string& job_id) {
  auto r = slurm_command({"scancel", job_id});
  if (!r.ok()) return r.error();
  if (!r->success()) return failure("scancel " + job_id + ": " + r->last_err_line());
  return {};
}

}  // namespace paramscale::study
