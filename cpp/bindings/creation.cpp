// Bindings for the creation family (filled in by its owner).
#include "bindings/common.h"

namespace axb {

void register_creation(py::module_& m, Class& cls) {
  (void)m;
  (void)cls;
}

}  // namespace axb
