// Bindings for the reduce family (filled in by its owner).
#include "bindings/common.h"

namespace axb {

void register_reduce(py::module_& m, Class& cls) {
  (void)m;
  (void)cls;
}

}  // namespace axb
