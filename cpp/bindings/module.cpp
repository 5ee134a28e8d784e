// PYBIND11_MODULE(_C): error translation and one register_* call per domain file.
#include "bindings/common.h"

namespace {

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const ax::Error& e) {
    switch (e.kind()) {
      case ax::ErrorKind::ValueError:
        PyErr_SetString(PyExc_ValueError, e.what());
        return;
      case ax::ErrorKind::TypeError:
        PyErr_SetString(PyExc_TypeError, e.what());
        return;
      case ax::ErrorKind::IndexError:
        PyErr_SetString(PyExc_IndexError, e.what());
        return;
      case ax::ErrorKind::RuntimeError:
        PyErr_SetString(PyExc_RuntimeError, e.what());
        return;
    }
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, "axonite: out of memory");
  }
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "axonite core: tensors, autograd and kernels (C++)";
  py::register_exception_translator(&translate);
  axb::Class cls(m, "Tensor", py::dynamic_attr(), py::buffer_protocol(),
                 "A multi-dimensional array with autograd.");
  cls.attr("__module__") = "axonite";
  axb::register_tensor(m, cls);
  axb::register_elementwise(m, cls);
  axb::register_autograd(m, cls);
  axb::register_reduce(m, cls);
  axb::register_views(m, cls);
  axb::register_indexing(m, cls);
  axb::register_creation(m, cls);
  axb::register_linalg(m, cls);
  axb::register_interop(m, cls);
  axb::register_runtime(m, cls);
  py::module_ nn = m.def_submodule("_nn", "kernels behind axonite.nn.functional and axonite.optim");
  axb::register_activation(m, nn, cls);
  axb::register_nn_layers(m, nn, cls);
  axb::register_loss(m, nn, cls);
  axb::register_optim(m, nn, cls);
  axb::register_pooling(m, nn, cls);
  axb::register_conv(m, nn, cls);
  axb::register_sampling(m, nn, cls);
  axb::register_rnn(m, nn, cls);
}
