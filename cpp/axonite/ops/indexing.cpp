// indexing ops.
#include "axonite/ops/indexing.h"

namespace ax {}  // namespace ax
