// The activation, PReLU and softmax kernel tables compiled for the generic ISA level (flags set in
// CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/activation_impl.h"
#include "axonite/kernels/cpu/softmax_impl.h"
