import Foundation
import MemAPI
import MemCube
import MemJSON
import MemStore
import Retrieval

/// Activation and parameter memories: their payloads in the blob store.
extension MemoryService {
    /// The database's directory (blobs, index snapshots, the lock).
    var dataDirectory: String { (store.blobs.root as NSString).deletingLastPathComponent }

    static let formatPattern = "lower-case letters, digits, '.', '_' or '-', 1 to 64 characters"

    /// Validates an activation or parameter item's payload fields, stores
    /// the payload and returns what the cube records about it. Nothing is
    /// stored in the database yet: a blob whose row never commits is
    /// collected later.
    func payload(of item: MemoryAdd.Item, kind: Kind, prefix: String, context: RequestContext) throws -> Content {
        guard let format = item.format else { throw ValidationError(field: "\(prefix)format", "is required for \(kind.rawValue) memories (e.g. safetensors)") }
        guard (1...64).contains(format.utf8.count), format.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }) else { throw ValidationError(field: "\(prefix)format", "must be \(Self.formatPattern)") }
        guard let model = item.model else { throw ValidationError(field: "\(prefix)model", "is required for \(kind.rawValue) memories: the base model id") }
        guard (1...256).contains(model.utf8.count), !model.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError(field: "\(prefix)model", "must be 1 to 256 bytes without control characters")
        }
        if let meta = item.meta { try checkAttributes(meta, field: "\(prefix)meta") }

        let blob: BlobRef
        let field: String
        let given = [item.path != nil, item.data != nil, item.fd != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError(field: "\(prefix)path", "give the payload one way: either path (a file memosd reads), data (base64) or fd (a file passed with the request)")
        }
        switch (item.path, item.data) {
        case (nil, nil):
            field = "\(prefix)fd"
            let index = item.fd ?? -1
            guard let input = context.files?.take(index) else {
                throw ValidationError(field: field, "names descriptor \(index), but \(context.files?.count ?? 0) were passed with this request (SCM_RIGHTS)")
            }
            defer { close(input) }
            do { try ClientFiles.checkPassed(input, writing: false) } catch { throw ValidationError(field: field, error.description) }
            do { blob = try store.blobs.put(reading: input, name: "the passed file", maxBytes: limits.maxPayloadBytes) } catch let error as BlobError where !error.isStorageFull {
                throw ValidationError(field: field, error.description)
            }
        case (.some, .some):
            throw ValidationError(field: "\(prefix)path", "give either path or data")
        case (let path?, nil):
            field = "\(prefix)path"
            // Opened with the client's rights, checked on the descriptor (no name can be swapped in between).
            let input: Int32
            do { input = try ClientFiles.openForReading(path, peer: context.peer, forbidden: .init(path: dataDirectory)) } catch {
                throw ValidationError(field: field, error.description)
            }
            defer { close(input) }
            do { blob = try store.blobs.put(reading: input, name: path, maxBytes: limits.maxPayloadBytes) } catch let error as BlobError where !error.isStorageFull {
                throw ValidationError(field: field, error.description)
            }
        case (nil, let text?):
            field = "\(prefix)data"
            guard let bytes = Data(base64Encoded: text) else { throw ValidationError(field: field, "is not valid base64") }
            guard Int64(bytes.count) <= limits.maxPayloadBytes else {
                throw ValidationError(field: field, "holds \(bytes.count) bytes; payloads may be at most \(limits.maxPayloadBytes) bytes (memosd --max-payload-mb)")
            }
            blob = try store.blobs.put([UInt8](bytes))
        }
        guard blob.size > 0 else { throw ValidationError(field: field, "is empty") }

        var meta = item.meta ?? [:]
        if format == "safetensors" {
            let derived: [String: JSONValue]
            do {
                let file = try SafeTensorsFile(path: store.blobs.path(of: blob.sha256), name: item.path ?? "the data")
                derived = kind == .activation ? try PayloadLayout.activation(file) : try PayloadLayout.parameter(file)
            } catch let error as SafeTensorsError {
                throw ValidationError(field: field, "is not a valid safetensors file: \(error)")
            } catch let error as PayloadLayout.Error {
                throw ValidationError(field: field, "does not hold a \(kind.rawValue) in the layout memos reads (docs/payloads.md): \(error)")
            }
            for (key, value) in derived {
                if let given = meta[key], given != value, !(given.doubleValue != nil && given.doubleValue == value.doubleValue) {
                    throw ValidationError(field: "\(prefix)meta.\(key)", "says \(given) but the file says \(value)")
                }
                meta[key] = value
            }
        }
        return Content(sha256: blob.sha256, size: blob.size, format: format, model: model, meta: meta)
    }

    /// The ids a new memory was derived from, each an existing memory of the namespace.
    func derivedFrom(_ list: [String]?, namespace: String, prefix: String, now: Timestamp) throws -> [CubeID] {
        guard let list else { return [] }
        guard list.count <= 1000 else { throw ValidationError(field: "\(prefix)derived_from", "may name at most 1000 memories") }
        var ids: [CubeID] = []
        for (i, text) in list.enumerated() {
            let id = try cubeID(text, field: "\(prefix)derived_from[\(i)]")
            do { _ = try store.get(namespace: namespace, id: id, now: now) } catch StoreError.notFound, StoreError.purged {
                throw ValidationError(field: "\(prefix)derived_from[\(i)]", "names no memory of namespace '\(namespace)'")
            } catch StoreError.expired {}
            ids.append(id)
        }
        return ids
    }

    /// memory.get's `export_to` and `include_data` for a cube with a payload.
    func payloadResult(_ cube: MemCube, params: MemoryGet.Params, context: RequestContext) throws -> MemoryGet.Result {
        var result = MemoryGet.Result(memory: WireMemory(cube))
        guard params.exportTo != nil || params.exportFD != nil || params.includeData == true else { return result }
        if params.exportTo != nil, params.exportFD != nil { throw ValidationError(field: "export_fd", "give export_to or export_fd, not both") }
        guard let content = cube.content else {
            throw ValidationError(
                field: params.exportTo != nil ? "export_to" : params.exportFD != nil ? "export_fd" : "include_data",
                "only activation and parameter memories have a payload; this one is \(cube.kind.rawValue)")
        }
        if let reason = cube.damaged { throw WireErrors.damaged(cube.id.rawValue, reason) }
        if let destination = params.exportTo {
            do {
                try ClientFiles.createForWriting(destination, peer: context.peer, forbidden: .init(path: dataDirectory)) { fd in
                    try store.blobs.copy(content.sha256, to: fd, name: destination)
                }
            } catch let error as ClientFiles.Refusal {
                throw ValidationError(field: "export_to", error.description)
            } catch let error as BlobError where !error.isMissing && !error.isStorageFull {
                throw ValidationError(field: "export_to", error.description)
            }
            result.exportedTo = destination
        }
        if let index = params.exportFD {
            guard let output = context.files?.take(index) else {
                throw ValidationError(field: "export_fd", "names descriptor \(index), but \(context.files?.count ?? 0) were passed with this request (SCM_RIGHTS)")
            }
            defer { close(output) }
            do { try ClientFiles.checkPassed(output, writing: true) } catch { throw ValidationError(field: "export_fd", error.description) }
            // The file gets the payload alone, whatever it held (the client opens it without truncating).
            guard ftruncate(output, 0) == 0, lseek(output, 0, SEEK_SET) == 0 else {
                throw ValidationError(field: "export_fd", "cannot empty the passed file: \(String(cString: strerror(errno)))")
            }
            do { try store.blobs.copy(content.sha256, to: output, name: "the passed file") } catch let error as BlobError where !error.isMissing && !error.isStorageFull {
                throw ValidationError(field: "export_fd", error.description)
            }
        }
        if params.includeData == true {
            guard content.size <= Int64(limits.maxInlinePayloadBytes) else {
                throw RPCError(
                    .payloadTooLarge, "the payload is \(content.size) bytes; include_data returns at most \(limits.maxInlinePayloadBytes), use export_to",
                    field: "include_data", limit: limits.maxInlinePayloadBytes)
            }
            result.data = Data(try store.blobs.read(content.sha256)).base64EncodedString()
        }
        return result
    }
}

/// memory.fuse and memory.compose: new payloads computed from stored ones.
extension MemoryService {
    func fuse(_ params: MemoryFuse.Params, _ context: RequestContext) throws -> MemoryFuse.Result {
        let method: PayloadMath.FuseMethod
        if let name = params.method {
            guard let parsed = PayloadMath.FuseMethod(rawValue: name) else {
                throw ValidationError(field: "method", "must be cat or linear (got '\(name)')")
            }
            method = parsed
        } else {
            method = .cat
        }
        let weights = params.weights ?? Array(repeating: 1, count: params.ids.count)
        guard weights.count == params.ids.count else {
            throw ValidationError(field: "weights", "has \(weights.count) weights for \(params.ids.count) ids; give one per id")
        }
        for (i, weight) in weights.enumerated() where !(weight.isFinite && abs(weight) <= limits.maxWeight) {
            throw ValidationError(field: "weights[\(i)]", "must be a number from -\(Limits.show(limits.maxWeight)) to \(Limits.show(limits.maxWeight)) (got \(Limits.show(weight)))")
        }
        let (sources, files) = try payloadSources(params.namespace, params.ids, kind: .parameter, context: context)
        let bytes: [UInt8]
        do {
            bytes = try PayloadMath.fuse(
                files, names: sources.map(\.id.rawValue), weights: weights.map(Float.init), method: method, maxBytes: limits.maxPayloadBytes)
        } catch let error as PayloadLayout.Error {
            throw ValidationError(field: "ids", "cannot be fused: \(error)")
        }
        let source: JSONValue = ["operation": "fuse", "method": .string(method.rawValue), "weights": .array(weights.map(JSONValue.double))]
        return try storeDerived(bytes, kind: .parameter, from: sources, source: source, text: params.text, tags: params.tags, agent: params.agent, namespace: params.namespace, context: context)
    }

    func compose(_ params: MemoryCompose.Params, _ context: RequestContext) throws -> MemoryCompose.Result {
        let (sources, files) = try payloadSources(params.namespace, params.ids, kind: .activation, context: context)
        let bytes: [UInt8]
        do {
            bytes = try PayloadMath.compose(files, names: sources.map(\.id.rawValue), maxBytes: limits.maxPayloadBytes)
        } catch let error as PayloadLayout.Error {
            throw ValidationError(field: "ids", "cannot be composed: \(error)")
        }
        return try storeDerived(
            bytes, kind: .activation, from: sources, source: ["operation": "compose"], text: params.text, tags: params.tags,
            agent: params.agent, namespace: params.namespace, context: context)
    }

    /// The memories named by `ids`: 2...64 active safetensors memories of `kind`, one base model.
    private func payloadSources(
        _ namespace: String, _ ids: [String], kind: Kind, context: RequestContext
    ) throws -> ([MemCube], [SafeTensorsFile]) {
        try limits.checkName(namespace, field: "namespace")
        guard (2...64).contains(ids.count) else { throw ValidationError(field: "ids", "must name 2 to 64 memories (got \(ids.count))") }
        var cubes: [MemCube] = []
        var files: [SafeTensorsFile] = []
        for (i, text) in ids.enumerated() {
            let field = "ids[\(i)]"
            let cube = try store.get(namespace: namespace, id: try cubeID(text, field: field), now: context.now).cube
            guard cube.state == .active else { throw ValidationError(field: field, "is \(cube.state.rawValue); only active memories can be combined") }
            guard cube.kind == kind, let content = cube.content else {
                throw ValidationError(field: field, "is a \(cube.kind.rawValue) memory; this needs \(kind.rawValue) memories")
            }
            guard content.format == "safetensors" else {
                throw ValidationError(field: field, "is in format '\(content.format)'; only safetensors payloads can be combined")
            }
            if let first = cubes.first?.content, first.model != content.model {
                throw ValidationError(field: field, "belongs to model '\(content.model)', \(ids[0]) to '\(first.model)'")
            }
            cubes.append(cube)
            do { files.append(try SafeTensorsFile(path: store.blobs.path(of: content.sha256), name: "the payload of \(text)")) } catch {
                throw RPCError(.internalError, "the payload of \(text) cannot be read: \(error)")
            }
        }
        return (cubes, files)
    }

    private func storeDerived(
        _ bytes: [UInt8], kind: Kind, from sources: [MemCube], source: JSONValue, text: String?, tags: [String]?, agent: String?,
        namespace: String, context: RequestContext
    ) throws -> MemoryFuse.Result {
        if let text { try limits.checkText(text, field: "text") }
        let tags = try uniqueTags(tags, field: "tags")
        if let agent { try limits.checkName(agent, field: "agent") }
        let blob = try store.blobs.put(bytes)
        let file = try SafeTensorsFile(path: store.blobs.path(of: blob.sha256), name: "the result")
        let meta = kind == .activation ? try PayloadLayout.activation(file) : try PayloadLayout.parameter(file)
        var provenance = provenance(.add, agent: agent, context: context, source: source)
        provenance.derivedFrom = sources.map(\.id)
        let cube = MemCube(
            id: .generate(at: context.now.millis), kind: kind, namespace: namespace, agent: agent, text: text, tags: tags,
            createdAt: context.now, provenance: provenance,
            content: Content(sha256: blob.sha256, size: blob.size, format: "safetensors", model: sources[0].content!.model, meta: meta))
        let stored = try writes.add([cube], entities: [text.map { EntityExtractor.extract($0) } ?? []])
        return MemoryFuse.Result(id: stored[0].cube.id.rawValue, version: stored[0].cube.version)
    }
}
