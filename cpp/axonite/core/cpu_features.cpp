// Run-time ISA detection: CPUID feature bits plus XGETBV (the OS must save YMM / ZMM / opmask
// state, otherwise AVX instructions fault even when CPUID advertises them). The result is capped
// by the AXONITE_ISA environment variable and computed once per process.
#include "axonite/core/cpu_features.h"

#include <cstdio>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define AXONITE_X86 1
#else
#define AXONITE_X86 0
#endif

namespace ax {
namespace {

#if AXONITE_X86
bool cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  return __get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]) != 0;
}

// XGETBV(0) = XCR0 via inline asm: the _xgetbv intrinsic would need -mxsave on this baseline TU.
unsigned long long read_xcr0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}

Isa detect_hardware() {
  unsigned r1[4] = {0, 0, 0, 0}, r7[4] = {0, 0, 0, 0};
  if (!cpuid(1, 0, r1)) return Isa::Generic;
  const unsigned ecx1 = r1[2];
  const bool osxsave = ecx1 & (1u << 27);
  const bool avx = ecx1 & (1u << 28);
  const bool fma = ecx1 & (1u << 12);
  const bool f16c = ecx1 & (1u << 29);
  if (!osxsave || !avx) return Isa::Generic;
  const unsigned long long xcr0 = read_xcr0();
  // XCR0 bit 1 = SSE state, bit 2 = AVX (upper YMM) state.
  if ((xcr0 & 0x6) != 0x6) return Isa::Generic;
  unsigned max_leaf[4] = {0, 0, 0, 0};
  cpuid(0, 0, max_leaf);
  if (max_leaf[0] < 7 || !cpuid(7, 0, r7)) return Isa::Generic;
  const unsigned ebx7 = r7[1];
  const bool avx2 = ebx7 & (1u << 5);
  const bool bmi2 = ebx7 & (1u << 8);
  // The AVX2 TUs are compiled with -mfma -mf16c -mbmi2, so all of them are required.
  if (!(avx2 && fma && f16c && bmi2)) return Isa::Generic;
  const bool avx512f = ebx7 & (1u << 16);
  const bool avx512dq = ebx7 & (1u << 17);
  const bool avx512bw = ebx7 & (1u << 30);
  const bool avx512vl = ebx7 & (1u << 31);
  // XCR0 bits 5..7: opmask registers, upper halves of ZMM0-15, ZMM16-31.
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;
  if (avx512f && avx512dq && avx512bw && avx512vl && os_zmm) return Isa::Avx512;
  return Isa::Avx2;
}
#else
Isa detect_hardware() { return Isa::Generic; }
#endif

bool iequals(const char* a, const char* b) {
  for (; *a && *b; ++a, ++b) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return *a == *b;
}

Isa detect() {
  Isa isa = detect_hardware();
  const char* env = std::getenv("AXONITE_ISA");
  if (env != nullptr && *env != '\0') {
    Isa cap = isa;
    if (iequals(env, "avx512")) {
      cap = Isa::Avx512;
    } else if (iequals(env, "avx2")) {
      cap = Isa::Avx2;
    } else if (iequals(env, "generic")) {
      cap = Isa::Generic;
    } else {
      std::fprintf(stderr, "axonite: ignoring unknown AXONITE_ISA=%s (use avx512|avx2|generic)\n",
                   env);
    }
    // The variable only lowers the level: asking for more than the CPU has would crash.
    if (static_cast<int>(cap) < static_cast<int>(isa)) isa = cap;
  }
  return isa;
}

}  // namespace

Isa cpu_isa() {
  static const Isa isa = detect();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Generic:
      break;
  }
  return "generic";
}

}  // namespace ax
