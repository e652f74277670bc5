#include "exec/model/blas.hpp"

#include <cblas.h>  // the enums and the functions' types only: the symbols come from dlopen
#include <dlfcn.h>

#include <string>

#include "common/ir/error.hpp"

namespace pipewise::exec {
namespace {

struct OpenBlas {
  decltype(&cblas_sgemm) sgemm = nullptr;
  void (*set_num_threads)(int) = nullptr;
};

// Opens the library once per process (a failed attempt is retried by the next call).
const OpenBlas& open_blas() {
  static const OpenBlas library = [] {
    void* handle = nullptr;
    std::string failures;
    // The runtime name first; the path the build linked against as a fallback.
    for (const char* name : {"libopenblas.so.0", PIPEWISE_OPENBLAS_LIBRARY}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle != nullptr) break;
      const char* reason = dlerror();
      failures += std::string(failures.empty() ? "" : "; ") + (reason != nullptr ? reason : name);
    }
    if (handle == nullptr) throw Error("cannot load OpenBLAS: " + failures);
    OpenBlas blas;
    blas.sgemm = reinterpret_cast<decltype(&cblas_sgemm)>(dlsym(handle, "cblas_sgemm"));
    blas.set_num_threads = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"));
    if (blas.sgemm == nullptr || blas.set_num_threads == nullptr) {
      throw Error("cannot load OpenBLAS: the library has no cblas_sgemm or openblas_set_num_threads");
    }
    return blas;
  }();
  return library;
}

}  // namespace

void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a,
           int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  open_blas().sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                    transpose_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void use_single_threaded_blas() { open_blas().set_num_threads(1); }

}  // namespace pipewise::exec
