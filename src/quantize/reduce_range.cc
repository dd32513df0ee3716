// CPU features and the reduce-range rule; see reduce_range.h.
#include "quantize/reduce_range.h"

#include <sys/utsname.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace paramscale::quantize {

namespace {
#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register states the OS saves on a context switch.
unsigned long long xcr0() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif
}  // namespace

CpuFeatures detect_cpu() {
  CpuFeatures f;
  struct utsname u {};
  f.arch = uname(&u) == 0 ? u.machine : "unknown";
#if defined(__x86_64__) || defined(__i386__)
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  const unsigned long long x = xcr0();
  const bool avx_state = (x & 0x6) == 0x6;       // XMM and YMM
  const bool avx512_state = (x & 0xE6) == 0xE6;  // plus opmask, ZMM_Hi256, Hi16_ZMM
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const unsigned max_subleaf = eax;
  f.avx512_vnni = avx512_state && (ecx & (1u << 11));
  if (max_subleaf >= 1) {
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    f.avx_vnni = avx_state && (eax & (1u << 4));
  }
#endif
  return f;
}

Result<ReduceRange> parse_reduce_range(const std::string& name) {
  if (name == "auto") return ReduceRange::Auto;
  if (name == "on") return ReduceRange::On;
  if (name == "off") return ReduceRange::Off;
  return bad_input("--reduce-range must be auto, on or off, got '" + name + "'");
}

ReduceRangeDecision decide_reduce_range(ReduceRange mode, const CpuFeatures& cpu) {
  if (mode == ReduceRange::On) return {true, "on as requested: 7-bit weights"};
  if (mode == ReduceRange::Off) return {false, "off as requested: 8-bit weights"};
  const bool x86 = cpu.arch == "x86_64" || cpu.arch == "i686" || cpu.arch == "i386";
  if (!x86)
    return {false, "auto: " + cpu.arch +
                       " is not x86-64; its int8 kernels do not saturate, 8-bit weights"};
  if (cpu.avx512_vnni || cpu.avx_vnni)
    return {false, std::string("auto: this CPU has ") +
                       (cpu.avx512_vnni ? "AVX512-VNNI" : "AVX-VNNI") +
                       ", whose int8 dot products accumulate in 32 bits, 8-bit weights"};
  return {true,
          "auto: this x86-64 CPU has no VNNI; ONNX Runtime's U8S8 kernels add u8 x s8 products in "
          "saturating 16-bit lanes, 7-bit weights avoid the overflow"};
}

}  // namespace paramscale::quantize
