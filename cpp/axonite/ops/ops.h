// All public ops, one header per family.
#pragma once

#include "axonite/ops/broadcast.h"
#include "axonite/ops/creation.h"
#include "axonite/ops/elementwise.h"
#include "axonite/ops/indexing.h"
#include "axonite/ops/join.h"
#include "axonite/ops/linalg.h"
#include "axonite/ops/matmul.h"
#include "axonite/ops/reduce.h"
#include "axonite/ops/unary.h"
#include "axonite/ops/views.h"
