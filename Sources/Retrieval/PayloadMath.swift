import Foundation

/// Composition of payloads (docs/payloads.md): fusing LoRA adapters and
/// concatenating KV snapshots. Inputs are validated safetensors files;
/// outputs are new safetensors files (bytes).
public enum PayloadMath {
    public enum FuseMethod: String, Sendable, CaseIterable {
        /// Exact: ranks concatenate, and the fused delta is Σ wᵢ·ΔWᵢ.
        case cat
        /// Same rank: A and B are the weighted sums Σ wᵢ·Aᵢ and Σ wᵢ·(αᵢ/r)·Bᵢ.
        case linear
    }

    /// The size in bytes of `counts` multiplied together, if it is at most `limit`.
    static func checkedBytes(_ counts: [Int], limit: Int64) throws -> Int {
        var product = 1
        for count in counts {
            let (next, overflow) = product.multipliedReportingOverflow(by: count)
            guard !overflow, Int64(next) <= limit else {
                throw PayloadLayout.Error("the result would exceed the \(limit)-byte payload limit (memosd --max-payload-mb)")
            }
            product = next
        }
        return product
    }

    /// Fuses LoRA adapters (PEFT names) with `weights`, one per adapter.
    /// `names` are how errors name the adapters (their memory ids); the
    /// result may be at most `maxBytes`.
    ///
    /// Each adapter's delta is ΔWᵢ = (αᵢ/rᵢ)·Bᵢ·Aᵢ (α defaults to r). `cat`
    /// stacks A = [A₁; A₂; …] ([Σr, in]) and B = [s₁B₁, s₂B₂, …] ([out, Σr])
    /// with sᵢ = wᵢ·αᵢ/rᵢ and writes α = Σr, so that (α/r)·B·A = Σ wᵢ·ΔWᵢ
    /// exactly. Output tensors are F32.
    public static func fuse(
        _ adapters: [SafeTensorsFile], names: [String], weights: [Float], method: FuseMethod, maxBytes: Int64 = .max
    ) throws -> [UInt8] {
        guard adapters.count == weights.count, adapters.count == names.count, !adapters.isEmpty else {
            throw PayloadLayout.Error("give one weight per adapter")
        }
        let pairs = try adapters.map { try PayloadLayout.loraPairs($0) }
        let modules = pairs[0].keys.sorted()
        for (i, other) in pairs.enumerated().dropFirst() where other.keys.sorted() != modules {
            throw PayloadLayout.Error("\(names[i]) adapts other modules than \(names[0]) (\(other.keys.sorted().prefix(3).joined(separator: ", "))… vs \(modules.prefix(3).joined(separator: ", "))…)")
        }
        let alphas: [Float] = adapters.enumerated().map { i, file in
            file.metadata["lora_alpha"].flatMap(Float.init) ?? Float(pairs[i].values.first?.a.shape[0] ?? 1)
        }
        // Every output tensor, summed, within the limit before anything is allocated.
        var outputBytes: Int64 = 0
        for module in modules {
            let a = pairs[0][module]?.a.shape ?? [], b = pairs[0][module]?.b.shape ?? []
            guard a.count == 2, b.count == 2 else { continue }
            let rank = method == .cat ? pairs.reduce(0) { $0 + ($1[module]?.a.shape[0] ?? 0) } : a[0]
            outputBytes += Int64(try checkedBytes([rank, a[1] + b[0], 4], limit: maxBytes))
            guard outputBytes <= maxBytes else { throw PayloadLayout.Error("the fused adapter would exceed the \(maxBytes)-byte payload limit (memosd --max-payload-mb)") }
        }
        var writer = SafeTensorsWriter()
        var totalRank = 0
        for module in modules {
            let shapes = pairs.compactMap { pair in pair[module].map { ($0.a.shape, $0.b.shape) } }
            let inputs = shapes[0].0[1], outputs = shapes[0].1[0]
            for (i, shape) in shapes.enumerated() where shape.0[1] != inputs || shape.1[0] != outputs {
                throw PayloadLayout.Error("\(module): \(names[i]) is [out \(shape.1[0]), in \(shape.0[1])], \(names[0]) is [out \(outputs), in \(inputs)]")
            }
            let ranks = shapes.map { $0.0[0] }
            switch method {
            case .cat:
                let rank = ranks.reduce(0, +)
                totalRank = rank
                var a: [Float] = []
                a.reserveCapacity(rank * inputs)
                var b = [Float](repeating: 0, count: outputs * rank)
                var column = 0
                for (i, file) in adapters.enumerated() {
                    a += try file.values(module + ".lora_A.weight")
                    let bi = try file.values(module + ".lora_B.weight")
                    let scale = weights[i] * alphas[i] / Float(ranks[i])
                    for row in 0..<outputs {
                        for k in 0..<ranks[i] { b[row * rank + column + k] = scale * bi[row * ranks[i] + k] }
                    }
                    column += ranks[i]
                }
                writer.add(module + ".lora_A.weight", shape: [rank, inputs], floats: a)
                writer.add(module + ".lora_B.weight", shape: [outputs, rank], floats: b)
            case .linear:
                guard Set(ranks).count == 1 else {
                    throw PayloadLayout.Error("linear fusion needs adapters of one rank; \(module) has ranks \(ranks) (use cat)")
                }
                let rank = ranks[0]
                totalRank = rank
                var a = [Float](repeating: 0, count: rank * inputs)
                var b = [Float](repeating: 0, count: outputs * rank)
                for (i, file) in adapters.enumerated() {
                    let ai = try file.values(module + ".lora_A.weight")
                    let bi = try file.values(module + ".lora_B.weight")
                    let scale = alphas[i] / Float(rank)
                    for j in a.indices { a[j] += weights[i] * ai[j] }
                    for j in b.indices { b[j] += weights[i] * scale * bi[j] }
                }
                writer.add(module + ".lora_A.weight", shape: [rank, inputs], floats: a)
                writer.add(module + ".lora_B.weight", shape: [outputs, rank], floats: b)
            }
        }
        // The scales are folded into B: α = r makes PEFT's α/r factor 1.
        writer.metadata = ["lora_alpha": String(totalRank), "format": "pt", "memos_fuse": method.rawValue]
        return writer.bytes()
    }

    /// Concatenates KV snapshots (memos KV layout) along the token axis, in
    /// order: the snapshot of the inputs read one after the other. Bytes are
    /// copied as they are (any dtype); layers, heads, head_dim and dtype must match.
    /// `names` are how errors name the snapshots (their memory ids); the
    /// result may be at most `maxBytes`.
    public static func compose(_ snapshots: [SafeTensorsFile], names: [String], maxBytes: Int64 = .max) throws -> [UInt8] {
        guard !snapshots.isEmpty, names.count == snapshots.count else { throw PayloadLayout.Error("no snapshots to compose") }
        let layouts = try snapshots.map { try PayloadLayout.activation($0) }
        for (i, layout) in layouts.enumerated().dropFirst() {
            for key in ["layers", "heads", "head_dim", "dtype"] where layout[key] != layouts[0][key] {
                throw PayloadLayout.Error("\(names[i]) has \(key) \(layout[key] ?? .null), \(names[0]) has \(layouts[0][key] ?? .null)")
            }
        }
        guard case .int(let layers)? = layouts[0]["layers"], case .int(let heads)? = layouts[0]["heads"],
              case .int(let headDim)? = layouts[0]["head_dim"], case .string(let dtype)? = layouts[0]["dtype"]
        else { throw PayloadLayout.Error("unreadable layout") }
        let elementSize = SafeTensorsFile.dtypeSizes[dtype] ?? 4
        let tokens = layouts.map { layout -> Int in
            if case .int(let t)? = layout["tokens"] { return Int(t) }
            return 0
        }
        let total = tokens.reduce(0, +)
        let tensorBytes = try checkedBytes([Int(heads), total, Int(headDim), elementSize], limit: maxBytes)
        _ = try checkedBytes([tensorBytes, Int(layers), 2], limit: maxBytes)
        var writer = SafeTensorsWriter()
        for layer in 0..<Int(layers) {
            for part in ["key", "value"] {
                let name = "layers.\(layer).\(part)"
                var out = [UInt8](repeating: 0, count: Int(heads) * total * Int(headDim) * elementSize)
                let rowBytes = Int(headDim) * elementSize
                var offset = 0
                for (i, file) in snapshots.enumerated() {
                    let raw = try file.bytes(of: name)
                    guard raw.count == Int(heads) * tokens[i] * rowBytes, let from = raw.baseAddress else {
                        throw PayloadLayout.Error("\(names[i]): \(name) does not hold [heads, tokens, head_dim] of its dtype")
                    }
                    out.withUnsafeMutableBytes { buffer in
                        guard let to = buffer.baseAddress else { return }
                        for head in 0..<Int(heads) {
                            let source = head * tokens[i] * rowBytes
                            let destination = (head * total + offset) * rowBytes
                            to.advanced(by: destination).copyMemory(from: from.advanced(by: source), byteCount: tokens[i] * rowBytes)
                        }
                    }
                    offset += tokens[i]
                }
                writer.add(name, dtype: dtype, shape: [Int(heads), total, Int(headDim)], bytes: out)
            }
        }
        return writer.bytes()
    }
}
