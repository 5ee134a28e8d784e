// The loss kernels compiled for the avx512 ISA level (flags set in CMake).
#define AX_ISA_NS avx512
#include "axonite/kernels/cpu/loss_impl.h"
