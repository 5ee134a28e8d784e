// The reduction kernels compiled for the generic ISA level (flags set in CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/reduce_impl.h"
