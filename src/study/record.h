// study/record: the normalized result record of one study cell (schema kRecordSchemaVersion).
//
//   {schema_version, key, cell{model,method,budget,seed,runtime,threads,opt_level,dataset,
//                              precision},
//    widths, analysis{params,proxy_params,macs,weight_bytes,activation_sum_bytes,
//                     peak_activation_bytes,per_width[{name,width,macs,activation_bytes}]},
//    accuracy{final_test,best_test} | null (not trained),
//    latency_ms{min,mean,median,p90,p95,p99,max,stddev,runs}, memory{runtime_bytes (peak during
//    inference minus baseline), the bench stages...},
//    model_file_bytes, deployed_accuracy{top1,top5,runtime,threads,images} | null (not
//    evaluated), quantization{calibration,activations,weight_qmax,reduce_range,int8_convs,...} |
//    null (FP32), environment{...}, train (the run's summary.json) | null, bench (the raw bench
//    record), explain{explanation, profiling_overhead, peak} (only where the study explained the
//    cell)}
// Everything in it is computed (analysis) or copied from a measurement (train, bench).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "arch/analysis.h"
#include "study/cell.h"
#include "study/config.h"
#include "util/result.h"

namespace paramscale::study {

// A network's analysis totals (params, proxy_params, macs, weight_bytes, activation_sum_bytes,
// peak_activation_bytes, batch): the record's "analysis" block and `paramscale arch --json`'s
// "totals" both start from these, so the two keep one shape.
nlohmann::json analysis_totals(const arch::Analysis& a);

// `explain`: the cell's `paramscale explain --json` output, or null; the record keeps its first
// model's explanation (per-layer rows), profiling overhead and the machine's peak. `deployment`
// may hold "quantize" (paramscale quantize's --json record) and "eval" (paramscale eval's --json
// record) for the cell's model.
Result<nlohmann::json> make_record(const StudyConfig& config, const Cell& cell,
                                   const std::vector<int>& widths,
                                   const nlohmann::json& train_summary, const nlohmann::json& bench,
                                   const nlohmann::json& explain = nullptr,
                                   const nlohmann::json& deployment = nlohmann::json::object());

// Is `record` a well-formed record (schema kRecordSchemaVersion)? Checks the type of every field
// that resume and the report read, so a damaged or hand-edited record is reported (and its cell
// redone) instead of throwing later. When `key` is given, the record must be that cell's.
Status check_record(const nlohmann::json& record, const std::string& key = "");

// The one measurement record in a bench --json file (its first result; a failed one is an Error),
// as written, once runtime::BenchRecord::parse has accepted it.
Result<nlohmann::json> bench_result(const nlohmann::json& bench_file);

// A bench result's memory block plus the headline runtime_bytes: peak RSS during inference minus
// the baseline RSS before runtime init (runtime::MemoryRecord::runtime_bytes, which bench writes
// as memory.runtime_memory_bytes).
Result<nlohmann::json> record_memory(const nlohmann::json& bench_result);

// The bench result's environment plus what identifies the measurement: runtime{name,version,
// options}, protocol and model_sha256.
nlohmann::json record_environment(const nlohmann::json& bench_result);

}  // namespace paramscale::study
