// study/stage_commands: the command line of every stage a study runs (scale, search, train,
// export, quantize, eval, bench, explain), built from the config and the cell alone.
//
// One place for them, so a test can hand every one to the real CLI parser (a renamed flag then
// fails a test instead of every study), and so the local runner and Slurm tasks run exactly the
// same commands. Each returns the arguments after the executable. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "study/cell.h"
#include "study/config.h"

namespace paramscale::study {

// NeuralScale widths for the cell's model from a fit (`paramscale scale … --json`).
std::vector<std::string> scale_args(const StudyConfig& c, const Cell& cell, const std::string& fit);
// The study's own NeuralScale search for a model, into `out` (resuming when `resume`), on
// `threads` threads (0: every core).
std::vector<std::string> search_args(const StudyConfig& c, const std::string& model,
                                     const std::string& out, bool resume, int threads = 0);
// Training the cell's model with these widths into the run directory `run`, on `threads` threads
// (0: every core).
std::vector<std::string> train_args(const StudyConfig& c, const Cell& cell,
                                    const std::vector<int>& widths, const std::string& run,
                                    bool resume, int threads = 0);
// Exporting the trained run (or, deployment-only, seeded weights) to `onnx`.
std::vector<std::string> export_args(const StudyConfig& c, const Cell& cell,
                                     const std::vector<int>& widths, const std::string& run,
                                     const std::string& onnx);
// Quantizing `source` (the float twin's run directory, or its .onnx when the study does not train)
// into `onnx`, with quantize's record in `record`.
std::vector<std::string> quantize_args(const StudyConfig& c, const Cell& cell,
                                       const std::string& source, const std::string& onnx,
                                       const std::string& record);
// Evaluating `onnx` through ONNX Runtime on the study's test images into `out`.
std::vector<std::string> eval_args(const StudyConfig& c, const std::string& onnx,
                                   const std::string& out);
// Measuring `target` (the .onnx, or the run directory for torch) into the bench JSON `out`.
std::vector<std::string> bench_args(const StudyConfig& c, const Cell& cell,
                                    const std::string& target, const std::string& out,
                                    const std::string& devices_file);
// The per-layer explanation of `onnx` into `out`.
std::vector<std::string> explain_args(const StudyConfig& c, const Cell& cell,
                                      const std::string& onnx, const std::string& out);

std::string join_widths(const std::vector<int>& widths);  // "8,16,32"

}  // namespace paramscale::study
