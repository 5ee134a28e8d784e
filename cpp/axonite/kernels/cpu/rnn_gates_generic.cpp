// The fused recurrent row passes (rnn_gates.h) compiled for the generic ISA level (flags set in
// CMake).
#define AX_ISA_NS generic
#include "axonite/kernels/cpu/rnn_gates_impl.h"
