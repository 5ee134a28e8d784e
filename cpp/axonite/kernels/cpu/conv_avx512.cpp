// The direct convolution plane and row kernels (kernels/cpu/conv_impl.h, conv_rows_impl.h) compiled
// for the avx512 ISA level (flags set in CMake).
#define AX_ISA_NS avx512
#include "axonite/kernels/cpu/conv_impl.h"
#include "axonite/kernels/cpu/conv_rows_impl.h"
