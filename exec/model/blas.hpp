#pragma once
// OpenBLAS, opened on first use. Loading the library starts its thread pool and sizes its
// buffers (an empty program linked with it starts in 14 ms, against 3.5 ms without, on this
// project's machine), which every pipewise command paid, even those that compute nothing:
// only the executor's math needs it, so it is opened (dlopen) when that first runs.
namespace pipewise::exec {

// C = alpha · op(A) · op(B) + beta · C for row-major matrices, as cblas_sgemm with
// CblasRowMajor: op(X) is X, or its transpose when `transpose_x`. Throws pipewise::Error
// "cannot load OpenBLAS: ..." when the library cannot be opened.
void sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a,
           int lda, const float* b, int ldb, float beta, float* c, int ldc);

// Makes OpenBLAS compute on the calling thread only (openblas_set_num_threads(1)): the
// executor's device workers are the parallelism. Throws as sgemm does.
void use_single_threaded_blas();

}  // namespace pipewise::exec
