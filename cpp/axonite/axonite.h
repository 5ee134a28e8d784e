// Umbrella header for C++ users, tests and benchmarks: the whole public core API.
#pragma once

#include "axonite/autograd/engine.h"
#include "axonite/autograd/grad_mode.h"
#include "axonite/autograd/node.h"
#include "axonite/autograd/record.h"
#include "axonite/core/allocator.h"
#include "axonite/core/check.h"
#include "axonite/core/dtype.h"
#include "axonite/core/parallel.h"
#include "axonite/ops/ops.h"
#include "axonite/tensor/tensor.h"
