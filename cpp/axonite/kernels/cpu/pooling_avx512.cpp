// The pooling/resampling kernel tables (kernels/pooling.h) compiled for the avx512 ISA level
// (flags set in CMake).
#define AX_ISA_NS avx512
#include "axonite/kernels/cpu/pooling_impl.h"
