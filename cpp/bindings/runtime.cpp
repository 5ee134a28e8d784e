// Bindings for the runtime family (filled in by its owner).
#include "bindings/common.h"

namespace axb {

void register_runtime(py::module_& m, Class& cls) {
  (void)m;
  (void)cls;
}

}  // namespace axb
