import COpenBLAS

/// The one place memos calls OpenBLAS. Every function checks its
/// dimensions before handing pointers to C.
public enum BLAS {
    /// y = A·x for a row-major `rows`×`cols` matrix A.
    public static func matrixVector(
        _ a: UnsafeBufferPointer<Float>, rows: Int, cols: Int, _ x: UnsafeBufferPointer<Float>,
        into y: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(a.count >= rows * cols && x.count == cols && y.count >= rows, "BLAS.matrixVector: shape mismatch")
        guard rows > 0, cols > 0, let aBase = a.baseAddress, let xBase = x.baseAddress, let yBase = y.baseAddress
        else { return }
        cblas_sgemv(
            CblasRowMajor, CblasNoTrans, Int32(rows), Int32(cols), 1, aBase, Int32(cols), xBase, 1, 0, yBase, 1)
    }

    /// C = A·Bᵀ for row-major A (`m`×`k`) and B (`n`×`k`): C is `m`×`n`.
    public static func matrixMultiplyTransposed(
        _ a: UnsafeBufferPointer<Float>, m: Int, _ b: UnsafeBufferPointer<Float>, n: Int, k: Int,
        into c: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(a.count >= m * k && b.count >= n * k && c.count >= m * n, "BLAS.matrixMultiplyTransposed: shape mismatch")
        guard m > 0, n > 0, k > 0, let aBase = a.baseAddress, let bBase = b.baseAddress, let cBase = c.baseAddress
        else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, aBase, Int32(k), bBase,
            Int32(k), 0, cBase, Int32(n))
    }

    /// C = alpha·A·op(B) + beta·C on row-major matrices given by pointer and
    /// leading dimension (row stride), so that sub-matrices (one attention
    /// head's columns) need no copy. A is `m`×`k`; op(B) is `k`×`n` (B is
    /// stored `n`×`k` when `transposeB`). The caller guarantees the pointers
    /// cover the rows; the shapes and strides are checked here.
    public static func gemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "BLAS.gemm: negative dimension")
        precondition(lda >= max(1, k) && ldc >= max(1, n) && ldb >= max(1, transposeB ? k : n), "BLAS.gemm: stride too small")
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// x·y over `n` floats (the caller guarantees both pointers cover n).
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        precondition(n >= 0, "BLAS.dot: negative length")
        return cblas_sdot(Int32(n), x, 1, y, 1)
    }

    /// Sets OpenBLAS's thread count (1 is the sane default on a small server).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The kernel OpenBLAS chose for this CPU (e.g. `Haswell`, `Prescott`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
