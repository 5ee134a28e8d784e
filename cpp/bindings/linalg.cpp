// Bindings for the linalg family (filled in by its owner).
#include "bindings/common.h"

namespace axb {

void register_linalg(py::module_& m, Class& cls) {
  (void)m;
  (void)cls;
}

}  // namespace axb
