// The fused recurrent row passes (rnn_gates.h) compiled for the avx2 ISA level (flags set in
// CMake).
#define AX_ISA_NS avx2
#include "axonite/kernels/cpu/rnn_gates_impl.h"
