// linalg ops.
#include "axonite/ops/linalg.h"

namespace ax {}  // namespace ax
