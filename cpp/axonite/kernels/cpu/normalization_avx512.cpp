// The normalization-family kernel tables (kernels/normalization.h) compiled for the avx512 ISA
// level (flags set in CMake).
#define AX_ISA_NS avx512
#include "axonite/kernels/cpu/normalization_impl.h"
