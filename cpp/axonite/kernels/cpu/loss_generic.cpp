// The loss kernels compiled for the generic ISA level (flags set in CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/loss_impl.h"
