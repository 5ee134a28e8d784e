// The normalization-family kernel tables (kernels/normalization.h) compiled for the generic ISA
// level (flags set in CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/normalization_impl.h"
