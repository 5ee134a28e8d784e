// Bindings for the interop family (filled in by its owner).
#include "bindings/common.h"

namespace axb {

void register_interop(py::module_& m, Class& cls) {
  (void)m;
  (void)cls;
}

}  // namespace axb
