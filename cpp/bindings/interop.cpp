// Zero-copy exchange with other array libraries: the DLPack protocol both ways
// (Tensor.__dlpack__ / __dlpack_device__, ax.from_dlpack) and ax.as_tensor. The DLPack structs
// are declared here from the public specification (dlpack.h v1.0); nothing else uses them.
#include <cstring>
#include <string>

#include "bindings/common.h"

namespace axb {
namespace {

// ---- DLPack ABI (https://dmlc.github.io/dlpack/latest/c_api.html) ---------------------------
namespace dl {

constexpr int32_t kDLCPU = 1;
enum TypeCode : uint8_t {
  kInt = 0,
  kUInt = 1,
  kFloat = 2,
  kOpaque = 3,
  kBfloat = 4,
  kComplex = 5,
  kBool = 6
};

struct Device {
  int32_t device_type;
  int32_t device_id;
};
struct DataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};
struct DLTensor {
  void* data;
  Device device;
  int32_t ndim;
  DataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; null means compact row-major
  uint64_t byte_offset;
};
struct ManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(ManagedTensor* self);
};
struct Version {
  uint32_t major;
  uint32_t minor;
};
struct ManagedTensorVersioned {
  Version version;
  void* manager_ctx;
  void (*deleter)(ManagedTensorVersioned* self);
  uint64_t flags;
  DLTensor dl_tensor;
};
constexpr uint64_t kFlagIsCopied = 1ull << 1;

}  // namespace dl

const char* const kCapsule = "dltensor";
const char* const kCapsuleVersioned = "dltensor_versioned";
const char* const kUsed = "used_dltensor";
const char* const kUsedVersioned = "used_dltensor_versioned";

// ---- export ----------------------------------------------------------------------------------

// Owns what a capsule hands out: a tensor handle (keeping the storage alive) and the arrays the
// DLTensor points at. Deleted by the consumer through the deleter, or by the capsule if unused.
struct ExportCtx {
  Tensor tensor;
  int64_t shape[ax::kMaxDims];
  int64_t strides[ax::kMaxDims];
  dl::ManagedTensor legacy;
  dl::ManagedTensorVersioned versioned;
};

dl::DataType dl_dtype(DType d) {
  switch (d) {
    case DType::Bool:
      return {dl::kBool, 8, 1};
    case DType::Int64:
      return {dl::kInt, 64, 1};
    case DType::Float32:
      return {dl::kFloat, 32, 1};
    case DType::Float64:
      return {dl::kFloat, 64, 1};
  }
  return {dl::kFloat, 32, 1};
}

void fill_dltensor(ExportCtx* ctx, dl::DLTensor* t) {
  const Tensor& x = ctx->tensor;
  for (int i = 0; i < x.dim(); ++i) {
    ctx->shape[i] = x.sizes()[i];
    ctx->strides[i] = x.strides()[i];
  }
  t->data = x.raw_data();
  t->device = {dl::kDLCPU, 0};
  t->ndim = x.dim();
  t->dtype = dl_dtype(x.dtype());
  t->shape = ctx->shape;
  t->strides = ctx->strides;
  t->byte_offset = 0;
}

void legacy_deleter(dl::ManagedTensor* self) { delete static_cast<ExportCtx*>(self->manager_ctx); }
void versioned_deleter(dl::ManagedTensorVersioned* self) {
  delete static_cast<ExportCtx*>(self->manager_ctx);
}

// A capsule nobody consumed (its name is unchanged) still owns the tensor: free it.
void legacy_capsule_destructor(PyObject* cap) {
  if (!PyCapsule_IsValid(cap, kCapsule)) return;
  auto* m = static_cast<dl::ManagedTensor*>(PyCapsule_GetPointer(cap, kCapsule));
  if (m && m->deleter) m->deleter(m);
}
void versioned_capsule_destructor(PyObject* cap) {
  if (!PyCapsule_IsValid(cap, kCapsuleVersioned)) return;
  auto* m = static_cast<dl::ManagedTensorVersioned*>(PyCapsule_GetPointer(cap, kCapsuleVersioned));
  if (m && m->deleter) m->deleter(m);
}

bool is_cpu_device(py::handle dl_device) {
  auto t = py::reinterpret_borrow<py::sequence>(dl_device);
  return t.size() == 2 && py::int_(t[0]).cast<int>() == dl::kDLCPU &&
         py::int_(t[1]).cast<int>() == 0;
}

py::object to_dlpack(const Tensor& t, py::handle stream, py::handle max_version,
                     py::handle dl_device, py::handle copy) {
  if (!stream.is_none())
    ax::fail(ax::ErrorKind::RuntimeError, "__dlpack__: stream must be None for CPU tensors, got ",
             std::string(py::repr(stream)));
  if (t.requires_grad())
    throw py::buffer_error(
        "__dlpack__: can't export a tensor that requires grad; use tensor.detach()");
  if (!dl_device.is_none() && !is_cpu_device(dl_device))
    throw py::buffer_error("__dlpack__: only dl_device=(1, 0) (kDLCPU) is supported, got " +
                           std::string(py::repr(dl_device)));
  const bool copied = !copy.is_none() && copy.cast<bool>();
  bool versioned = false;
  if (!max_version.is_none()) {
    auto v = py::reinterpret_borrow<py::sequence>(max_version);
    versioned = v.size() >= 1 && py::int_(v[0]).cast<int>() >= 1;
  }
  auto* ctx = new ExportCtx{copied ? ax::clone(t.detach()) : t.detach(), {}, {}, {}, {}};
  if (versioned) {
    dl::ManagedTensorVersioned* m = &ctx->versioned;
    m->version = {1, 0};
    m->manager_ctx = ctx;
    m->deleter = &versioned_deleter;
    m->flags = copied ? dl::kFlagIsCopied : 0;
    fill_dltensor(ctx, &m->dl_tensor);
    PyObject* cap = PyCapsule_New(m, kCapsuleVersioned, &versioned_capsule_destructor);
    if (!cap) {
      delete ctx;
      throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(cap);
  }
  dl::ManagedTensor* m = &ctx->legacy;
  m->manager_ctx = ctx;
  m->deleter = &legacy_deleter;
  fill_dltensor(ctx, &m->dl_tensor);
  PyObject* cap = PyCapsule_New(m, kCapsule, &legacy_capsule_destructor);
  if (!cap) {
    delete ctx;
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(cap);
}

// ---- import ----------------------------------------------------------------------------------

std::string dl_dtype_name(const dl::DataType& d) {
  const char* kind = d.code == dl::kInt       ? "int"
                     : d.code == dl::kUInt    ? "uint"
                     : d.code == dl::kFloat   ? "float"
                     : d.code == dl::kBfloat  ? "bfloat"
                     : d.code == dl::kComplex ? "complex"
                     : d.code == dl::kBool    ? "bool"
                                              : "opaque";
  std::string s = kind + std::to_string(d.bits);
  if (d.lanes != 1) s += "x" + std::to_string(d.lanes);
  return s;
}

std::optional<DType> from_dl_dtype(const dl::DataType& d) {
  if (d.lanes != 1) return std::nullopt;
  if (d.code == dl::kFloat && d.bits == 32) return DType::Float32;
  if (d.code == dl::kFloat && d.bits == 64) return DType::Float64;
  if (d.code == dl::kInt && d.bits == 64) return DType::Int64;
  if (d.code == dl::kBool && d.bits == 8) return DType::Bool;
  return std::nullopt;
}

// Checks a DLTensor can be viewed as an axonite tensor; leaves the capsule untouched on error
// so its own destructor frees the producer's memory.
DType check_importable(const dl::DLTensor& t) {
  if (t.device.device_type != dl::kDLCPU)
    throw py::buffer_error(
        "from_dlpack: only CPU tensors (kDLCPU) can be imported, got device "
        "type " +
        std::to_string(t.device.device_type));
  const auto dt = from_dl_dtype(t.dtype);
  AXONITE_CHECK(dt.has_value(), TypeError, "from_dlpack: unsupported dtype ",
                dl_dtype_name(t.dtype),
                "; the supported dtypes are float32, float64, int64 and bool");
  AXONITE_CHECK(t.ndim >= 0 && t.ndim <= ax::kMaxDims, ValueError, "from_dlpack: ", t.ndim,
                " dimensions are more than the supported ", ax::kMaxDims);
  for (int i = 0; i < t.ndim; ++i)
    AXONITE_CHECK(!t.strides || t.strides[i] >= 0 || t.shape[i] <= 1, ValueError,
                  "from_dlpack: tensors with negative strides are not supported (stride ",
                  t.strides[i], " at dim ", i, "); make a contiguous copy first");
  return *dt;
}

// A tensor over the DLTensor's memory. `owner` runs the producer's deleter when the storage
// dies, so the producer's buffer lives exactly as long as some axonite view of it.
Tensor view_dltensor(const dl::DLTensor& t, DType dt, std::shared_ptr<void> owner) {
  Dims sizes, strides;
  for (int i = 0; i < t.ndim; ++i) sizes.push_back(t.shape[i]);
  if (t.strides) {
    for (int i = 0; i < t.ndim; ++i)
      strides.push_back(t.strides[i] < 0 ? 0 : t.strides[i]);  // < 0 only at size <= 1
  } else {
    strides = ax::contiguous_strides(sizes);
  }
  const int64_t es = static_cast<int64_t>(ax::itemsize(dt));
  int64_t span = 1;  // elements from the first to one past the furthest
  for (int i = 0; i < sizes.size(); ++i) span += (sizes[i] - 1) * strides[i];
  if (ax::numel_of(sizes) == 0) span = 0;
  void* data = static_cast<char*>(t.data) + t.byte_offset;
  auto storage =
      std::make_shared<ax::Storage>(data, static_cast<size_t>(span * es), std::move(owner));
  return Tensor::from_storage(std::move(storage), sizes, strides, 0, dt);
}

// Runs a producer deleter from whatever thread drops the last view, holding the GIL.
template <class M>
std::shared_ptr<void> deleter_owner(M* m) {
  return std::shared_ptr<void>(m, [](void* p) {
    auto* mt = static_cast<M*>(p);
    if (!mt->deleter) return;
    py::gil_scoped_acquire gil;
    mt->deleter(mt);
  });
}

Tensor from_capsule(py::handle cap) {
  const char* name = PyCapsule_GetName(cap.ptr());
  if (!name) throw py::error_already_set();
  if (std::strcmp(name, kCapsuleVersioned) == 0) {
    auto* m = static_cast<dl::ManagedTensorVersioned*>(PyCapsule_GetPointer(cap.ptr(), name));
    if (!m) throw py::error_already_set();
    if (m->version.major > 1)
      throw py::buffer_error("from_dlpack: DLPack version " + std::to_string(m->version.major) +
                             "." + std::to_string(m->version.minor) +
                             " is newer than the supported 1.x");
    const DType dt = check_importable(m->dl_tensor);
    Tensor t = view_dltensor(m->dl_tensor, dt, deleter_owner(m));
    PyCapsule_SetName(cap.ptr(), kUsedVersioned);  // we own it now; the capsule must not free it
    return t;
  }
  if (std::strcmp(name, kCapsule) == 0) {
    auto* m = static_cast<dl::ManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), name));
    if (!m) throw py::error_already_set();
    const DType dt = check_importable(m->dl_tensor);
    Tensor t = view_dltensor(m->dl_tensor, dt, deleter_owner(m));
    PyCapsule_SetName(cap.ptr(), kUsed);
    return t;
  }
  AXONITE_CHECK(std::strncmp(name, "used_", 5) != 0, ValueError,
                "from_dlpack: this DLPack capsule was already consumed");
  ax::fail(ax::ErrorKind::TypeError, "from_dlpack: expected a 'dltensor' capsule, got '", name,
           "'");
}

Tensor from_dlpack(py::handle obj) {
  if (PyCapsule_CheckExact(obj.ptr())) return from_capsule(obj);
  if (!py::hasattr(obj, "__dlpack__"))
    ax::fail(ax::ErrorKind::TypeError,
             "from_dlpack: expected an object with __dlpack__ (a NumPy array, a torch tensor, "
             "...) or a DLPack capsule, got ",
             std::string(py::str(py::type::of(obj).attr("__name__"))));
  if (py::hasattr(obj, "__dlpack_device__")) {
    py::tuple dev = obj.attr("__dlpack_device__")();
    const int type = py::int_(dev[0]).cast<int>();
    if (type != dl::kDLCPU)
      throw py::buffer_error(
          "from_dlpack: only CPU tensors (kDLCPU) can be imported, got "
          "device type " +
          std::to_string(type));
  }
  py::object cap;
  try {
    cap = obj.attr("__dlpack__")("max_version"_a = py::make_tuple(1, 0));
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError)) throw;
    cap = obj.attr("__dlpack__")();  // a producer older than DLPack 1.0
  }
  return from_capsule(cap);
}

// ---- as_tensor -------------------------------------------------------------------------------

bool numpy_shareable(py::handle arr, std::optional<DType> dtype) {
  py::object dt = arr.attr("dtype");
  if (!dt.attr("isnative").cast<bool>()) return false;
  const std::string kind = py::str(dt.attr("kind"));
  const int size = dt.attr("itemsize").cast<int>();
  std::optional<DType> ours;
  if (kind == "f" && size == 4)
    ours = DType::Float32;
  else if (kind == "f" && size == 8)
    ours = DType::Float64;
  else if (kind == "i" && size == 8)
    ours = DType::Int64;
  else if (kind == "b" && size == 1)
    ours = DType::Bool;
  return ours && (!dtype || *dtype == *ours);
}

py::object as_tensor(py::handle data, std::optional<DType> dtype, py::handle device) {
  if (!device.is_none()) py::module_::import("axonite").attr("device")(device);
  if (py::isinstance(data, tensor_type())) {
    const Tensor t = data.cast<Tensor>();
    if (!dtype || *dtype == t.dtype()) return py::reinterpret_borrow<py::object>(data);
    return py::cast(ax::to_dtype(t, *dtype));
  }
  py::module_ np = py::module_::import("numpy");
  if (py::isinstance(data, np.attr("ndarray")) && numpy_shareable(data, dtype))
    return py::module_::import("axonite").attr("from_numpy")(data);
  py::object ax_mod = py::module_::import("axonite");
  if (dtype) return ax_mod.attr("tensor")(data, "dtype"_a = *dtype);
  return ax_mod.attr("tensor")(data);
}

}  // namespace

void register_interop(py::module_& m, Class& cls) {
  cls.def(
      "__dlpack__",
      [](const Tensor& t, py::handle stream, py::handle max_version, py::handle dl_device,
         py::handle copy) { return to_dlpack(t, stream, max_version, dl_device, copy); },
      "stream"_a = py::none(), py::kw_only(), "max_version"_a = py::none(),
      "dl_device"_a = py::none(), "copy"_a = py::none(),
      "Exports the tensor as a DLPack capsule (zero-copy unless copy=True).");
  cls.def(
      "__dlpack_device__", [](const Tensor&) { return py::make_tuple(dl::kDLCPU, 0); },
      "(device type, device id) for DLPack: (1, 0), kDLCPU.");
  m.def("from_dlpack", &from_dlpack, "ext_tensor"_a,
        "A tensor sharing memory with any DLPack producer (NumPy, PyTorch, ...) or capsule.");
  m.def("as_tensor", &as_tensor, "data"_a, "dtype"_a = py::none(), "device"_a = py::none(),
        "Converts data to a tensor, sharing memory with tensors and NumPy arrays when no dtype "
        "conversion is needed (like torch.as_tensor).");
}

}  // namespace axb
