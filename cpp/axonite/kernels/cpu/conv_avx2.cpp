// The direct convolution plane kernels (kernels/cpu/conv_impl.h) compiled for the avx2 ISA
// level (flags set in CMake).
#define AX_ISA_NS avx2
#include "axonite/kernels/cpu/conv_impl.h"
