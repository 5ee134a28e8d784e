// The optimizer kernel table compiled for the generic ISA level (flags set in CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/optim_impl.h"
