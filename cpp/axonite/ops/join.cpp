// join ops.
#include "axonite/ops/join.h"

namespace ax {}  // namespace ax
