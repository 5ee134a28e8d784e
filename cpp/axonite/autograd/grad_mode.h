// Thread-local autograd switches: grad mode (no_grad / enable_grad / inference_mode) and the
// process-wide anomaly-detection flag.
#pragma once

namespace ax::autograd {

bool grad_enabled();
void set_grad_enabled(bool on);
bool anomaly_enabled();
void set_anomaly_enabled(bool on);

// RAII guard that sets grad mode for its scope and restores the previous mode.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool on) : prev_(grad_enabled()) { set_grad_enabled(on); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace ax::autograd
