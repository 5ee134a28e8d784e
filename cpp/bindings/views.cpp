// Bindings for the views family (filled in by its owner).
#include "bindings/common.h"

namespace axb {

void register_views(py::module_& m, Class& cls) {
  (void)m;
  (void)cls;
}

}  // namespace axb
