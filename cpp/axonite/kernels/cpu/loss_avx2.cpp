// The loss kernels compiled for the avx2 ISA level (flags set in CMake).
#define AX_ISA_NS avx2
#include "axonite/kernels/cpu/loss_impl.h"
