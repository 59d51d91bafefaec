import MemAPI

// memctl fuse, compose.
extension Commands {
    static let fuse = Command(
        name: "fuse", summary: "Merge parameter memories (LoRA adapters of one model) into a new one.",
        about: "",
        usage: "fuse ID ID... [--weights W,W...] [--method cat|linear] [--text TEXT]",
        options: [
            Option("--weights", "LIST", "one weight per id, e.g. 0.7,0.3 (default all 1)"),
            Option("--method", "METHOD", "cat (default: exact, ranks add up) or linear (one rank)"),
            Option("--text", "TEXT", "a description of the result"),
        ]
    ) { args, session in
        guard args.positionals.count >= 2 else { throw UsageError("fuse takes two or more IDs") }
        let weights = try args.value("--weights").map { list throws(UsageError) in
            var parsed: [Double] = []
            for part in list.split(separator: ",") { parsed.append(try number(String(part), "--weights")) }
            return parsed
        }
        let result = try session.call(MemoryFuse.self, .init(
            namespace: session.namespace, ids: args.positionals, weights: weights, method: args.value("--method"),
            text: args.value("--text")))
        if !session.json { print("\(result.id)  v\(result.version)") }
    }

    static let compose = Command(
        name: "compose", summary: "Concatenate activation memories (KV snapshots of one model) along their tokens.",
        about: "",
        usage: "compose ID ID... [--text TEXT]",
        options: [
            Option("--text", "TEXT", "a description of the result"),
        ]
    ) { args, session in
        guard args.positionals.count >= 2 else { throw UsageError("compose takes two or more IDs, in order") }
        let result = try session.call(MemoryCompose.self, .init(namespace: session.namespace, ids: args.positionals, text: args.value("--text")))
        if !session.json { print("\(result.id)  v\(result.version)") }
    }
}
