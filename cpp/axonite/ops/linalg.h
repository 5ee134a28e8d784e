// linalg ops (declarations filled in by the family's owner).
#pragma once

#include "axonite/tensor/tensor.h"

namespace ax {}  // namespace ax
