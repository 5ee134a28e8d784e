// Process-level runtime controls: threads, the caching allocator's statistics, CPU features.
#include "axonite/core/cpu_features.h"
#include "bindings/common.h"

namespace axb {

void register_runtime(py::module_& m, Class& cls) {
  (void)cls;
  m.def("set_num_threads", &ax::set_num_threads, "num_threads"_a,
        "Sets the number of threads used by parallel CPU kernels.");
  m.def("get_num_threads", &ax::get_num_threads);
  m.def(
      "memory_stats",
      [] {
        const ax::MemoryStats s = ax::allocator::stats();
        py::dict d;
        d["allocated_bytes"] = s.allocated_bytes;
        d["cached_bytes"] = s.cached_bytes;
        d["peak_allocated_bytes"] = s.peak_allocated_bytes;
        d["num_allocs"] = s.num_allocs;
        d["num_cache_hits"] = s.num_cache_hits;
        d["num_os_allocs"] = s.num_os_allocs;
        d["live_tensors"] = s.live_tensors;
        d["live_nodes"] = s.live_nodes;
        return d;
      },
      "Live and cached bytes of the caching CPU allocator, allocation counts, and the number of "
      "live tensors and autograd nodes.");
  m.def("empty_cache", &ax::allocator::empty_cache,
        "Returns every cached (freed) block of the CPU allocator to the OS.");
  m.def("reset_peak_memory_stats", &ax::allocator::reset_peak);
  m.def(
      "_cpu_isa", [] { return std::string(ax::isa_name(ax::cpu_isa())); },
      "The SIMD level kernels dispatch to: 'avx512', 'avx2' or 'generic'.");
}

}  // namespace axb
