import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
import MemStore
@testable import MemServer
import Retrieval

/// A safetensors file in memory: F32 tensors (through memos's own writer,
/// which lays tensors out in name order).
func safetensors(_ tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String] = [:]) -> [UInt8] {
    var writer = SafeTensorsWriter()
    for tensor in tensors { writer.add(tensor.name, shape: tensor.shape, floats: tensor.values) }
    writer.metadata = metadata
    return writer.bytes()
}

/// A KV snapshot in the memos layout: `layers` × key/value, [heads, tokens, headDim].
func kvSnapshot(layers: Int, heads: Int, tokens: Int, headDim: Int, seed: Float = 0) -> [UInt8] {
    let count = heads * tokens * headDim
    var tensors: [(name: String, shape: [Int], values: [Float])] = []
    for layer in 0..<layers {
        for (part, offset) in [("key", Float(0)), ("value", Float(0.5))] {
            let base = Float(layer) + seed + offset
            let values: [Float] = (0..<count).map { Float($0) * 0.01 + base }
            tensors.append((name: "layers.\(layer).\(part)", shape: [heads, tokens, headDim], values: values))
        }
    }
    return safetensors(tensors)
}

/// A PEFT LoRA adapter of rank `rank` on q_proj and v_proj of one layer.
func loraAdapter(rank: Int, inputs: Int = 4, outputs: Int = 3, scale: Float = 1) -> [UInt8] {
    let modules = ["base_model.model.layers.0.self_attn.q_proj", "base_model.model.layers.0.self_attn.v_proj"]
    var tensors: [(name: String, shape: [Int], values: [Float])] = []
    for module in modules {
        let a: [Float] = (0..<(rank * inputs)).map { Float($0 % 7) * scale }
        let b: [Float] = (0..<(outputs * rank)).map { Float($0 % 5) * 0.1 * scale }
        tensors.append((name: module + ".lora_A.weight", shape: [rank, inputs], values: a))
        tensors.append((name: module + ".lora_B.weight", shape: [outputs, rank], values: b))
    }
    return safetensors(tensors, metadata: ["lora_alpha": "16"])
}

@Suite struct PayloadTests {
    @Test func activationFromBase64IsStoredOnceAndComesBack() throws {
        let h = try Harness()
        let bytes = kvSnapshot(layers: 2, heads: 2, tokens: 3, headDim: 4)
        let base64 = Data(bytes).base64EncodedString()
        let source = try #require(try h.result("memory.add", ["namespace": "n", "text": "Caroline moved to Berlin"])["id"]?.stringValue)
        let added = try h.result("memory.add", [
            "namespace": "n", "kind": "activation", "format": "safetensors", "model": "llama-3.1-8b", "data": .string(base64),
            "derived_from": [.string(source)], "meta": ["tokenizer": "sha256:abc"],
        ])
        let id = try #require(added["id"]?.stringValue)
        let memory = try #require(try h.result("memory.get", ["namespace": "n", "id": .string(id)])["memory"])
        #expect(memory["kind"] == "activation")
        #expect(memory["derived_from"] == [.string(source)])
        let content = try #require(memory["content"])
        #expect(content["sha256"]?.stringValue == SHA256.hex(bytes))
        #expect(content["size"] == .int(Int64(bytes.count)))
        #expect(content["model"] == "llama-3.1-8b" && content["format"] == "safetensors")
        #expect(content["meta"] == [
            "layout": "memos-kv-v1", "layers": 2, "heads": 2, "tokens": 3, "head_dim": 4, "dtype": "F32",
            "tokenizer": "sha256:abc",
        ])
        // The payload back, inline and as a file.
        let inline = try h.result("memory.get", ["namespace": "n", "id": .string(id), "include_data": true])
        #expect(inline["data"]?.stringValue == base64)
        let out = h.directory + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        let exported = try h.result("memory.get", ["namespace": "n", "id": .string(id), "export_to": .string(out + "/kv.safetensors")])
        #expect(exported["exported_to"]?.stringValue == out + "/kv.safetensors")
        #expect(FileManager.default.contents(atPath: out + "/kv.safetensors") == Data(bytes))
        // Never onto (or from) memosd's own files.
        for target in [h.directory + "/data/memos.db", h.directory + "/data/blobs/new", h.directory + "/data"] {
            let refused = try h.call("memory.get", ["namespace": "n", "id": .string(id), "export_to": .string(target)])
            #expect(refused["error"]?["data"]?["field"] == "params.export_to")
            #expect(refused["error"]?["message"]?.stringValue?.contains("data directory") == true)
            let read = try h.call("memory.add", [
                "namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "path": .string(target),
            ])
            #expect(errorCode(read) == Int64(ErrorCode.invalidParams.rawValue))
        }
        // The same payload again: a second memory, one file.
        _ = try h.result("memory.add", ["namespace": "n", "kind": "activation", "format": "safetensors", "model": "llama-3.1-8b", "data": .string(base64)])
        #expect(h.store.blobs.all() == [SHA256.hex(bytes)])
        // A plaintext memory has no payload to give.
        let plain = try h.call("memory.get", ["namespace": "n", "id": .string(source), "include_data": true])
        #expect(errorCode(plain) == Int64(ErrorCode.invalidParams.rawValue))
    }

    @Test func parameterFromAPathReadsTheAdapterLayout() throws {
        let h = try Harness()
        let path = h.directory + "/adapter.safetensors"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(loraAdapter(rank: 2)), attributes: [.posixPermissions: 0o644]))
        let added = try h.result("memory.add", [
            "namespace": "n", "kind": "parameter", "format": "safetensors", "model": "llama-3.1-8b", "path": .string(path),
            "text": "LoRA: answers in the user's dialect",
        ])
        let memory = try #require(try h.result("memory.get", ["namespace": "n", "id": added["id"]!])["memory"])
        #expect(memory["content"]?["meta"] == [
            "rank": 2, "alpha": 16, "target_modules": ["q_proj", "v_proj"], "adapted": 2, "dtype": "F32",
        ])
        // Its description is searchable like any text.
        guard case .array(let hits)? = try h.result("memory.recall", ["namespace": "n", "query": "dialect"])["hits"] else {
            Issue.record("no hits")
            return
        }
        #expect(hits.first?["id"] == added["id"])
    }

    @Test(arguments: [
        (["data": "bm90IHNhZmV0ZW5zb3Jz"], "data", "not a valid safetensors file"),
        (["data": "***"], "data", "base64"),
        (["data": .string(Data(safetensors([(name: "weird", shape: [2], values: [Float(1), Float(2)])])).base64EncodedString())], "data", "memos KV layout"),
        (["data": .string(Data(kvSnapshot(layers: 1, heads: 1, tokens: 1, headDim: 2)).base64EncodedString()), "meta": ["layers": 3]], "meta.layers", "the file says"),
        ([:], "path", "either path"),
        (["path": "/nonexistent/kv.safetensors"], "path", "does not exist"),
        (["path": "relative.safetensors"], "path", "absolute"),
    ] as [([String: JSONValue], String, String)])
    func badPayloadsAreRefusedAndStoreNothing(extra: [String: JSONValue], field: String, message: String) throws {
        let h = try Harness()
        var params: JSONValue = ["namespace": "n", "kind": "activation", "format": "safetensors", "model": "m"]
        if case .object(var object) = params {
            for (key, value) in extra { object[key] = value }
            params = .object(object)
        }
        let response = try h.call("memory.add", params)
        #expect(errorCode(response) == Int64(ErrorCode.invalidParams.rawValue), "\(response)")
        #expect(response["error"]?["data"]?["field"]?.stringValue == "params.\(field)", "\(response)")
        #expect(response["error"]?["message"]?.stringValue?.contains(message) == true, "\(response)")
        #expect(try h.fingerprint() == [0, 0, 0, 0, 0])
        // A payload written before the refusal is an orphan the collection removes.
        try h.store.collectBlobs(graceSeconds: 0)
        #expect(h.store.blobs.all().isEmpty)
    }

    @Test func opaqueFormatsAreStoredAsGivenAndListedByKindAndModel() throws {
        let h = try Harness()
        let slot: [UInt8] = Array("GGUF-SLOT".utf8) + (0..<100).map { UInt8($0) }
        let added = try h.result("memory.add", [
            "namespace": "n", "kind": "activation", "format": "llama.cpp-slot", "model": "qwen2.5-7b",
            "data": .string(Data(slot).base64EncodedString()), "meta": ["tokens": 512, "n_ctx": 4096],
        ])
        _ = try h.result("memory.add", ["namespace": "n", "text": "plain"])
        let memory = try #require(try h.result("memory.get", ["namespace": "n", "id": added["id"]!])["memory"])
        #expect(memory["content"]?["format"] == "llama.cpp-slot" && memory["content"]?["meta"] == ["tokens": 512, "n_ctx": 4096])
        func listed(_ filter: JSONValue) throws -> Int {
            guard case .array(let list)? = try h.result("memory.list", ["namespace": "n", "filter": filter])["memories"] else { return -1 }
            return list.count
        }
        #expect(try listed(["kind": "activation"]) == 1)
        #expect(try listed(["kind": "plaintext"]) == 1)
        #expect(try listed(["model": "qwen2.5-7b"]) == 1)
        #expect(try listed(["model": "other"]) == 0)
        #expect(try listed(["tier": "active"]) == 2)
        let recall = try h.call("memory.recall", ["namespace": "n", "query": "plain", "filter": ["kind": "activation"]])
        // Recall searches text: a kind filter means the same as in list,
        // so activation memories pass it but have no text to be found by.
        #expect(recall["error"] == nil && recall["result"]?["hits"] == [])
    }

    @Test func plaintextRefusesPayloadFieldsAndUnknownKinds() throws {
        let h = try Harness()
        let response = try h.call("memory.add", ["namespace": "n", "text": "x", "format": "safetensors"])
        #expect(response["error"]?["data"]?["field"]?.stringValue == "params.format")
        let kind = try h.call("memory.add", ["namespace": "n", "text": "x", "kind": "video"])
        #expect(kind["error"]?["data"]?["field"]?.stringValue == "params.kind")
        let derived = try h.call("memory.add", ["namespace": "n", "text": "x", "derived_from": ["01JD3Q6T5V8XKZ2M4N6P8R0S2T"]])
        #expect(derived["error"]?["data"]?["field"]?.stringValue == "params.derived_from[0]")
    }

    @Test func purgeFreesThePayloadAndForgetKeepsIt() throws {
        let h = try Harness()
        let bytes = kvSnapshot(layers: 1, heads: 1, tokens: 2, headDim: 2)
        let params: JSONValue = ["namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "data": .string(Data(bytes).base64EncodedString())]
        let first = try #require(try h.result("memory.add", params)["id"])
        let second = try #require(try h.result("memory.add", params)["id"])
        _ = try h.result("memory.forget", ["namespace": "n", "id": first])
        #expect(try h.store.collectPurgedBlobs(graceSeconds: 0).isEmpty)
        _ = try h.result("memory.forget", ["namespace": "n", "id": first, "purge": true])
        #expect(try h.store.collectPurgedBlobs(graceSeconds: 0).isEmpty)  // the second still names it
        _ = try h.result("memory.forget", ["namespace": "n", "id": second, "purge": true])
        #expect(try h.store.collectPurgedBlobs(graceSeconds: 0) == [SHA256.hex(bytes)])
        #expect(h.store.blobs.all().isEmpty)
    }

    @Test func peerAccessFollowsModeBits() throws {
        let h = try Harness()
        let path = h.directory + "/secret.safetensors"
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1]), attributes: [.posixPermissions: 0o600]))
        let owner = PeerCredentials(pid: 1, uid: getuid(), gid: getgid())
        let stranger = PeerCredentials(pid: 1, uid: 54_321, gid: 54_321)
        let fd = try ClientFiles.openForReading(path, peer: owner)
        close(fd)
        #expect(throws: ClientFiles.Refusal.self) { try ClientFiles.openForReading(path, peer: stranger) }
        do {
            try ClientFiles.createForWriting(h.directory + "/new.bin", peer: stranger) { _ in }
            Issue.record("a stranger wrote in the owner's directory")
        } catch let error as ClientFiles.Refusal {
            #expect(error.description.contains("may not write"))
        }
        #expect(!FileManager.default.fileExists(atPath: h.directory + "/new.bin"))
    }
}

/// A LoRA adapter on two modules with pseudo-random values.
func randomAdapter(rank: Int, alpha: Float, seed: UInt64, inputs: Int = 5, outputs: Int = 4) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1000 } }
    var tensors: [(name: String, shape: [Int], values: [Float])] = []
    for module in ["m.layers.0.q_proj", "m.layers.0.v_proj"] {
        tensors.append((name: module + ".lora_A.weight", shape: [rank, inputs], values: values(rank * inputs)))
        tensors.append((name: module + ".lora_B.weight", shape: [outputs, rank], values: values(outputs * rank)))
    }
    return safetensors(tensors, metadata: ["lora_alpha": String(alpha)])
}

/// (α/r)·B·A of every module of an adapter file.
func deltas(_ bytes: [UInt8], directory: String) throws -> [String: [Float]] {
    let path = directory + "/delta-\(UUID().uuidString).safetensors"
    #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    let file = try SafeTensorsFile(path: path)
    var result: [String: [Float]] = [:]
    for (module, pair) in try PayloadLayout.loraPairs(file) {
        let a = try file.values(module + ".lora_A.weight"), b = try file.values(module + ".lora_B.weight")
        let rank = pair.a.shape[0], inputs = pair.a.shape[1], outputs = pair.b.shape[0]
        let scale = (file.metadata["lora_alpha"].flatMap(Float.init) ?? Float(rank)) / Float(rank)
        var delta = [Float](repeating: 0, count: outputs * inputs)
        for o in 0..<outputs { for i in 0..<inputs { for k in 0..<rank { delta[o * inputs + i] += scale * b[o * rank + k] * a[k * inputs + i] } } }
        result[module] = delta
    }
    return result
}

@Suite struct ComposeTests {
    func addPayload(_ h: Harness, kind: String, model: String = "m", _ bytes: [UInt8]) throws -> JSONValue {
        try #require(try h.result("memory.add", [
            "namespace": "n", "kind": .string(kind), "format": "safetensors", "model": .string(model),
            "data": .string(Data(bytes).base64EncodedString()),
        ])["id"])
    }

    @Test func fuseCatReproducesTheWeightedSumOfDeltas() throws {
        let h = try Harness()
        let first = randomAdapter(rank: 2, alpha: 16, seed: 1), second = randomAdapter(rank: 3, alpha: 8, seed: 2)
        let ids = [try addPayload(h, kind: "parameter", first), try addPayload(h, kind: "parameter", second)]
        let fused = try h.result("memory.fuse", ["namespace": "n", "ids": .array(ids), "weights": [0.7, 0.3], "text": "dialect + tone"])
        let memory = try #require(try h.result("memory.get", ["namespace": "n", "id": fused["id"]!])["memory"])
        #expect(memory["content"]?["meta"]?["rank"] == 5)
        #expect(memory["derived_from"] == .array(ids))
        #expect(memory["source"]?["weights"] == [0.7, 0.3])
        let sha = try #require(memory["content"]?["sha256"]?.stringValue)
        let got = try deltas(try h.store.blobs.read(sha), directory: h.directory)
        let one = try deltas(first, directory: h.directory), two = try deltas(second, directory: h.directory)
        for (module, delta) in got {
            for (j, value) in delta.enumerated() {
                let expected = 0.7 * one[module]![j] + 0.3 * two[module]![j]
                #expect(abs(value - expected) < 1e-5, "\(module)[\(j)]")
            }
        }
        // linear needs one rank.
        let linear = try h.call("memory.fuse", ["namespace": "n", "ids": .array(ids), "method": "linear"])
        #expect(linear["error"]?["message"]?.stringValue?.contains("one rank") == true)
        let third = try addPayload(h, kind: "parameter", randomAdapter(rank: 2, alpha: 16, seed: 3))
        _ = try h.result("memory.fuse", ["namespace": "n", "ids": [ids[0], third], "method": "linear", "weights": [0.5, 0.5]])
    }

    @Test func fuseRefusesMismatches() throws {
        let h = try Harness()
        let a = try addPayload(h, kind: "parameter", randomAdapter(rank: 2, alpha: 16, seed: 1))
        let other = try addPayload(h, kind: "parameter", model: "other-model", randomAdapter(rank: 2, alpha: 16, seed: 2))
        let wide = try addPayload(h, kind: "parameter", randomAdapter(rank: 2, alpha: 16, seed: 3, inputs: 7))
        let kv = try addPayload(h, kind: "activation", kvSnapshot(layers: 1, heads: 1, tokens: 1, headDim: 2))
        for (ids, weights, field, message) in [
            ([a, other], nil, "ids[1]", "model"), ([a, kv], nil, "ids[1]", "activation"), ([a, wide], nil, "ids", "in 7"),
            ([a], nil, "ids", "2 to 64"), ([a, a], [1.0], "weights", "one per id"),
        ] as [([JSONValue], [Double]?, String, String)] {
            var params: [String: JSONValue] = ["namespace": "n", "ids": .array(ids)]
            if let weights { params["weights"] = .array(weights.map(JSONValue.double)) }
            let response = try h.call("memory.fuse", .object(params))
            #expect(response["error"]?["data"]?["field"]?.stringValue == "params.\(field)", "\(response)")
            #expect(response["error"]?["message"]?.stringValue?.contains(message) == true, "\(response)")
        }
    }

    @Test func composeConcatenatesAlongTokens() throws {
        let h = try Harness()
        let first = kvSnapshot(layers: 2, heads: 2, tokens: 2, headDim: 3, seed: 0)
        let second = kvSnapshot(layers: 2, heads: 2, tokens: 3, headDim: 3, seed: 100)
        let ids = [try addPayload(h, kind: "activation", first), try addPayload(h, kind: "activation", second)]
        let composed = try h.result("memory.compose", ["namespace": "n", "ids": .array(ids)])
        let memory = try #require(try h.result("memory.get", ["namespace": "n", "id": composed["id"]!])["memory"])
        #expect(memory["content"]?["meta"]?["tokens"] == 5 && memory["content"]?["meta"]?["layers"] == 2)
        let sha = try #require(memory["content"]?["sha256"]?.stringValue)
        func file(_ bytes: [UInt8]) throws -> SafeTensorsFile {
            let path = h.directory + "/\(UUID().uuidString).safetensors"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            return try SafeTensorsFile(path: path)
        }
        let out = try file(try h.store.blobs.read(sha)), a = try file(first), b = try file(second)
        for name in ["layers.0.key", "layers.1.value"] {
            let got = try out.values(name), x = try a.values(name), y = try b.values(name)
            for head in 0..<2 {
                let expected = Array(x[(head * 6)..<(head * 6 + 6)]) + Array(y[(head * 9)..<(head * 9 + 9)])
                #expect(Array(got[(head * 15)..<(head * 15 + 15)]) == expected, "\(name) head \(head)")
            }
        }
        let odd = try addPayload(h, kind: "activation", kvSnapshot(layers: 2, heads: 1, tokens: 2, headDim: 3))
        let mismatch = try h.call("memory.compose", ["namespace": "n", "ids": [ids[0], odd]])
        #expect(mismatch["error"]?["message"]?.stringValue?.contains("heads") == true)
    }
}
