/// Float functions for the encoder's hot loops, written so the compiler can
/// vectorize them (no libm calls inside the loop).
enum FastMath {
    /// erf(x) as a rational minimax approximation on [-4, 4] (the form XLA
    /// and Eigen use for float); |error| < 1e-6 against libm's erff, which
    /// the tests check on a dense grid. Outside [-4, 4] erf is ±1 in float.
    @inline(__always)
    static func erf(_ value: Float) -> Float {
        let x = min(max(value, -4), 4)
        let x2 = x * x
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        p *= x
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return p / q
    }

    /// The exact-erf GELU, in place: x · (1 + erf(x/√2)) / 2.
    static func gelu(_ values: UnsafeMutableBufferPointer<Float>) {
        for i in values.indices {
            let v = values[i]
            values[i] = 0.5 * v * (1 + erf(v * 0.707_106_77))
        }
    }

    /// a[i] += b[i].
    static func add(_ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) {
        precondition(a.count <= b.count)
        for i in a.indices { a[i] += b[i] }
    }
}
