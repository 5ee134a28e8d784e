// The direct convolution plane, row and output-channel-vector kernels (kernels/cpu/conv_impl.h,
// conv_rows_impl.h, conv_ocvec_impl.h) compiled for the avx2 ISA level (flags set in CMake).
#define AX_ISA_NS avx2
#include "axonite/kernels/cpu/conv_impl.h"
#include "axonite/kernels/cpu/conv_ocvec_impl.h"
#include "axonite/kernels/cpu/conv_rows_impl.h"
#include "axonite/kernels/cpu/conv_wgrad_impl.h"
