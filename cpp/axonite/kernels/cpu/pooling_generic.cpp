// The pooling/resampling kernel tables (kernels/pooling.h) compiled for the generic ISA level
// (flags set in CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/pooling_impl.h"
