// Tiny in-house test harness: CHECK / CHECK_CLOSE / CHECK_THROWS and a TEST registry per binary.
// Each test_*.cpp is one executable; main() runs every TEST and returns non-zero on failure.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace testing {

struct Case {
  const char* name;
  std::function<void()> fn;
};
inline std::vector<Case>& cases() {
  static std::vector<Case> c;
  return c;
}
inline int& failures() {
  static int f = 0;
  return f;
}
struct Register {
  Register(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};

}  // namespace testing

#define TEST(name)                                            \
  static void test_##name();                                  \
  static ::testing::Register reg_##name(#name, &test_##name); \
  static void test_##name()

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++::testing::failures();                                                      \
    }                                                                               \
  } while (0)

#define CHECK_CLOSE(a, b, tol)                                                                    \
  do {                                                                                            \
    const double va_ = (a), vb_ = (b);                                                            \
    if (!(std::fabs(va_ - vb_) <= (tol) * (1.0 + std::fabs(vb_)))) {                              \
      std::fprintf(stderr, "%s:%d: CHECK_CLOSE failed: %s=%.9g vs %s=%.9g\n", __FILE__, __LINE__, \
                   #a, va_, #b, vb_);                                                             \
      ++::testing::failures();                                                                    \
    }                                                                                             \
  } while (0)

#define CHECK_THROWS(stmt)                                                                 \
  do {                                                                                     \
    bool thrown_ = false;                                                                  \
    try {                                                                                  \
      stmt;                                                                                \
    } catch (...) {                                                                        \
      thrown_ = true;                                                                      \
    }                                                                                      \
    if (!thrown_) {                                                                        \
      std::fprintf(stderr, "%s:%d: CHECK_THROWS failed: %s\n", __FILE__, __LINE__, #stmt); \
      ++::testing::failures();                                                             \
    }                                                                                      \
  } while (0)

#define TEST_MAIN()                                                                        \
  int main() {                                                                             \
    for (auto& c : ::testing::cases()) {                                                   \
      const int before = ::testing::failures();                                            \
      try {                                                                                \
        c.fn();                                                                            \
      } catch (const std::exception& e) {                                                  \
        std::fprintf(stderr, "%s: unexpected exception: %s\n", c.name, e.what());          \
        ++::testing::failures();                                                           \
      }                                                                                    \
      std::printf("[%s] %s\n", ::testing::failures() == before ? " ok " : "FAIL", c.name); \
    }                                                                                      \
    return ::testing::failures() == 0 ? 0 : 1;                                             \
  }
