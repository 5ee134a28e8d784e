#!/usr/bin/env bash
# Developer loop without pip: builds core + extension + C++ tests into build/<name>, assembles
# an importable package under /tmp/axdev_<name>, then runs the given command with PYTHONPATH
# pointing at it. Several developers can work side by side with different names.
#   tools/dev.sh <name> [command...]     e.g. tools/dev.sh me python -m pytest tests/python -q
set -euo pipefail
name=${1:?usage: tools/dev.sh <name> [command...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/$name"
if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$root" -B "$build" -G Ninja -DAXONITE_BUILD_TESTS=ON -DAXONITE_BUILD_BENCH=ON "${launcher[@]}" \
    -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python3)" >/dev/null
fi
cmake --build "$build"
pkg=/tmp/axdev_$name
rm -rf "$pkg" && mkdir -p "$pkg"
cp -r "$root/python/axonite" "$pkg/"
rm -f "$pkg"/axonite/_C*.so
cp "$build"/cpp/_C*.so "$pkg/axonite/"
if [ $# -gt 0 ]; then
  cd "$root" && PYTHONPATH="$pkg" "$@"
fi
