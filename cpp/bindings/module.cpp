// PYBIND11_MODULE(_C): error translation, the Ctrl-C bridge of long calls and one register_*
// call per domain file.
#include <signal.h>

#include <mutex>

#include "bindings/common.h"

namespace axb {
namespace {

// Note [Interrupts] (core/parallel.h). Python's own SIGINT handler only records the signal; the
// KeyboardInterrupt is raised when the main thread next runs bytecode, i.e. after a long kernel
// returns. While an InterruptScope is alive our handler also sets the core flag that the
// kernels poll, then chains to the saved handler so Python still sees the signal. The flag is
// process-wide: Ctrl-C stops every interruptible call running at that moment, in any thread,
// and each raises KeyboardInterrupt (PyErr_CheckSignals only runs handlers in the main thread).
std::mutex g_scope_mutex;
int g_scopes = 0;                 // live scopes (guarded by g_scope_mutex)
bool g_installed = false;         // our handler is installed (guarded by g_scope_mutex)
struct sigaction g_prev_handler;  // written before ours is installed, read by it

void on_sigint(int sig, siginfo_t* info, void* ctx) {
  ax::request_interrupt();  // a lock-free atomic store: async-signal-safe
  if (g_prev_handler.sa_flags & SA_SIGINFO) {
    g_prev_handler.sa_sigaction(sig, info, ctx);
  } else if (g_prev_handler.sa_handler != SIG_DFL && g_prev_handler.sa_handler != SIG_IGN) {
    g_prev_handler.sa_handler(sig);
  }
}

// Only Python's default handler turns SIGINT into KeyboardInterrupt. A program that installed
// its own (say, to stop training after the current step) keeps its calls running to the end.
// Called with the GIL held; the objects are leaked on purpose (no teardown at interpreter exit).
// Asks the C module `_signal`: `signal.getsignal` wraps the same answer in an enum lookup that
// cost several microseconds per call, paid by every long kernel call.
bool python_sigint_is_default() {
  static py::object* getsignal = nullptr;
  static py::object* default_handler = nullptr;
  try {
    if (getsignal == nullptr) {
      py::module_ sig = py::module_::import("_signal");
      getsignal = new py::object(sig.attr("getsignal"));
      default_handler = new py::object(sig.attr("default_int_handler"));
    }
    return (*getsignal)(SIGINT).is(*default_handler);
  } catch (py::error_already_set&) {
    return false;  // cannot tell: leave SIGINT to Python alone
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  const bool bridge = python_sigint_is_default();  // asks Python: before taking the lock
  std::lock_guard<std::mutex> lock(g_scope_mutex);
  if (g_scopes++ > 0) return;
  ax::clear_interrupt();  // set after an earlier call ended: stale
  struct sigaction cur;
  if (!bridge || sigaction(SIGINT, nullptr, &cur) != 0) return;
  // Chain only onto a real handler (Python's): SIG_IGN must stay ignored, SIG_DFL kills anyway.
  const bool plain = !(cur.sa_flags & SA_SIGINFO);
  if (plain && (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN)) return;
  g_prev_handler = cur;
  struct sigaction ours = {};
  ours.sa_sigaction = &on_sigint;
  ours.sa_mask = cur.sa_mask;
  ours.sa_flags = SA_SIGINFO | (cur.sa_flags & (SA_ONSTACK | SA_RESTART));
  g_installed = sigaction(SIGINT, &ours, nullptr) == 0;
}

InterruptScope::~InterruptScope() {
  std::lock_guard<std::mutex> lock(g_scope_mutex);
  if (--g_scopes > 0) return;
  if (g_installed) sigaction(SIGINT, &g_prev_handler, nullptr);
  g_installed = false;
  ax::clear_interrupt();
}

}  // namespace axb

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
  } catch (const ax::Interrupted&) {
    // The chained SIGINT is pending in Python: run its handler now (by default it raises
    // KeyboardInterrupt) so that it does not fire a second time after this call.
    if (PyErr_CheckSignals() == 0) PyErr_SetNone(PyExc_KeyboardInterrupt);
  }
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "axonite core: tensors, autograd and kernels (C++)";
  py::register_exception_translator(&translate);
  m.def("_interrupt_requested", &ax::interrupt_requested,
        "Whether the Ctrl-C flag polled by long kernels is set (tests; Note [Interrupts]).");
  axb::Class cls(m, "Tensor", py::dynamic_attr(), py::buffer_protocol(),
                 py::custom_type_setup(&axb::setup_tensor_type),
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
