// Run-time CPU feature detection (CPUID + XGETBV) used to pick SIMD kernels.
// AXONITE_ISA=avx512|avx2|generic in the environment caps the level (for tests and benches).
#pragma once

namespace ax {

enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

// Best ISA level supported by this CPU and OS, capped by AXONITE_ISA. Computed once.
Isa cpu_isa();
const char* isa_name(Isa isa);

}  // namespace ax
