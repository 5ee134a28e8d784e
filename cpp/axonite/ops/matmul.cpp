// matmul ops.
#include "axonite/ops/matmul.h"

namespace ax {}  // namespace ax
