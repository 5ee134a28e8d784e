// The elementwise kernel table compiled for the generic ISA level (flags set in CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/elementwise_impl.h"
