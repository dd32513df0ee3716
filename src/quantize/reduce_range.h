// quantize/reduce_range: whether int8 weights should use only 7 bits, decided as ONNX Runtime
// advises — from the CPU that runs the model.
//
// Why: on x86-64 without VNNI, ONNX Runtime's U8S8 kernels multiply u8 activations by s8 weights
// with VPMADDUBSW, which adds two products in a saturating 16-bit lane: 255 * 127 * 2 = 64770
// overflows it, 255 * 64 * 2 = 32640 does not. VNNI instructions (AVX512-VNNI, AVX-VNNI)
// accumulate in 32 bits and ARM's dot-product kernels never saturate, so 8-bit weights are safe
// there. detect_cpu() reads cpuid (AVX512_VNNI: leaf 7 subleaf 0 ECX bit 11; AVX-VNNI: leaf 7
// subleaf 1 EAX bit 4) and checks that the OS saves the registers those need (XGETBV);
// decide_reduce_range() is a pure function of the mode and the features, so every branch is
// testable. The decision is for the machine that quantizes: a model meant for another CPU should
// say --reduce-range on|off explicitly, and the record says which rule applied.
#pragma once

#include <string>

#include "util/result.h"

namespace paramscale::quantize {

struct CpuFeatures {
  std::string arch;  // "x86_64", "aarch64", or another uname machine name
  bool avx512_vnni = false;
  bool avx_vnni = false;
};
CpuFeatures detect_cpu();

enum class ReduceRange { Auto, On, Off };
Result<ReduceRange> parse_reduce_range(const std::string& name);  // auto | on | off

struct ReduceRangeDecision {
  bool reduce = false;
  std::string reason;  // one sentence for the record and the user
};
ReduceRangeDecision decide_reduce_range(ReduceRange mode, const CpuFeatures& cpu);

}  // namespace paramscale::quantize
