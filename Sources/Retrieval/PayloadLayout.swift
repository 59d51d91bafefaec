import MemCube
import MemJSON

/// What a safetensors payload of an activation or parameter memory holds,
/// read from its header (docs/payloads.md describes both layouts).
///
/// - Activations use the memos KV layout: for each layer i = 0..<L the
///   tensors `layers.i.key` and `layers.i.value`, each shaped
///   [heads, tokens, head_dim], one dtype throughout.
/// - Parameters are LoRA adapters with PEFT's names: `<module>.lora_A.weight`
///   [r, in] and `<module>.lora_B.weight` [out, r] for each adapted module.
public enum PayloadLayout {
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    public static let kvLayout = "memos-kv-v1"

    /// layers, heads, tokens, head_dim, dtype and layout of a KV snapshot.
    public static func activation(_ file: SafeTensorsFile) throws -> [String: JSONValue] {
        var layers: [Int: (key: SafeTensorsFile.Tensor?, value: SafeTensorsFile.Tensor?)] = [:]
        for (name, tensor) in file.tensors {
            let parts = name.split(separator: ".")
            guard parts.count == 3, parts[0] == "layers", let layer = Int(parts[1]), layer >= 0,
                  parts[2] == "key" || parts[2] == "value"
            else { throw Error("tensor '\(name)' is not part of the memos KV layout (layers.<i>.key / layers.<i>.value)") }
            if parts[2] == "key" { layers[layer, default: (nil, nil)].key = tensor } else { layers[layer, default: (nil, nil)].value = tensor }
        }
        guard !layers.isEmpty else { throw Error("no layers.<i>.key / layers.<i>.value tensors") }
        let count = layers.count
        guard layers.keys.sorted() == Array(0..<count) else {
            throw Error("layers must be numbered 0..<\(count) without gaps (found \(layers.keys.sorted()))")
        }
        let first = layers[0]!.key ?? layers[0]!.value!
        guard first.shape.count == 3 else {
            throw Error("layers.0 tensors must be [heads, tokens, head_dim], found shape \(first.shape)")
        }
        guard first.shape.allSatisfy({ $0 >= 1 }) else {
            throw Error("a KV snapshot needs at least one head, one token and one value per head; layers.0 is \(first.shape)")
        }
        for layer in 0..<count {
            for (part, tensor) in [("key", layers[layer]!.key), ("value", layers[layer]!.value)] {
                guard let tensor else { throw Error("layers.\(layer).\(part) is missing") }
                guard tensor.shape == first.shape, tensor.dtype == first.dtype else {
                    throw Error("layers.\(layer).\(part) is \(tensor.dtype) \(tensor.shape); layers.0 is \(first.dtype) \(first.shape): every tensor must match")
                }
            }
        }
        return [
            "layout": .string(kvLayout), "layers": .int(Int64(count)), "heads": .int(Int64(first.shape[0])),
            "tokens": .int(Int64(first.shape[1])), "head_dim": .int(Int64(first.shape[2])), "dtype": .string(first.dtype),
        ]
    }

    /// rank, target_modules, dtype and (from the header's metadata, if there) alpha of a LoRA adapter.
    public static func parameter(_ file: SafeTensorsFile) throws -> [String: JSONValue] {
        let adapters = try loraPairs(file)
        let ranks = Set(adapters.values.map { $0.a.shape[0] })
        guard ranks.count == 1, let rank = ranks.first else {
            throw Error("adapters of different ranks (\(ranks.sorted())) are not supported")
        }
        let modules = Set(adapters.keys.map { String($0.split(separator: ".").last ?? Substring($0)) })
        var meta: [String: JSONValue] = [
            "rank": .int(Int64(rank)), "target_modules": .array(modules.sorted().map(JSONValue.string)),
            "adapted": .int(Int64(adapters.count)), "dtype": .string(adapters.values.first?.a.dtype ?? "F32"),
        ]
        if let alpha = file.metadata["lora_alpha"].flatMap(Double.init) { meta["alpha"] = .double(alpha) }
        return meta
    }

    /// The LoRA (A, B) pairs by module prefix, shapes checked.
    public static func loraPairs(_ file: SafeTensorsFile) throws -> [String: (a: SafeTensorsFile.Tensor, b: SafeTensorsFile.Tensor)] {
        var a: [String: SafeTensorsFile.Tensor] = [:], b: [String: SafeTensorsFile.Tensor] = [:]
        for (name, tensor) in file.tensors {
            if name.hasSuffix(".lora_A.weight") {
                a[String(name.dropLast(".lora_A.weight".count))] = tensor
            } else if name.hasSuffix(".lora_B.weight") {
                b[String(name.dropLast(".lora_B.weight".count))] = tensor
            }
        }
        guard !a.isEmpty || !b.isEmpty else { throw Error("no <module>.lora_A.weight / <module>.lora_B.weight tensors (PEFT names)") }
        var pairs: [String: (a: SafeTensorsFile.Tensor, b: SafeTensorsFile.Tensor)] = [:]
        for module in Set(a.keys).union(b.keys).sorted() {
            guard let lowRank = a[module] else { throw Error("\(module).lora_A.weight is missing") }
            guard let up = b[module] else { throw Error("\(module).lora_B.weight is missing") }
            guard lowRank.shape.count == 2, up.shape.count == 2, lowRank.shape[0] == up.shape[1] else {
                throw Error("\(module): lora_A \(lowRank.shape) and lora_B \(up.shape) must be [r, in] and [out, r] with the same r")
            }
            guard (lowRank.shape + up.shape).allSatisfy({ $0 >= 1 }) else {
                throw Error("\(module): lora_A \(lowRank.shape) and lora_B \(up.shape) need a rank, inputs and outputs of 1 or more")
            }
            pairs[module] = (lowRank, up)
        }
        return pairs
    }
}
