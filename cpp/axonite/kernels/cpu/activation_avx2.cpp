// The activation, PReLU and softmax kernel tables compiled for the avx2 ISA level (flags set in
// CMake).
#define AX_ISA_NS avx2
#include "axonite/kernels/cpu/activation_impl.h"
#include "axonite/kernels/cpu/softmax_impl.h"
