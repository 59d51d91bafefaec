/// Where memosd puts its data and socket by default; memctl looks in the
/// same place. One definition, so the two can never disagree.
public enum DefaultPaths {
    /// `$XDG_DATA_HOME/memos`, else `~/.local/share/memos`.
    public static func dataDirectory(environment: [String: String]) -> String {
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? "/tmp") + "/.local/share"
        return dataHome + "/memos"
    }

    /// `$XDG_RUNTIME_DIR/memos/memosd.sock`, else `<data-dir>/memosd.sock`.
    public static func socket(environment: [String: String], dataDirectory: String? = nil) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/memos/memosd.sock"
        }
        return (dataDirectory ?? Self.dataDirectory(environment: environment)) + "/memosd.sock"
    }

    /// The MiniLM model memosd loads by default: `$MEMOS_MODEL_DIR`, else
    /// `$XDG_CACHE_HOME/memos/models/all-MiniLM-L6-v2` (or `~/.cache/...`),
    /// where `make model` puts it.
    public static func modelDirectory(environment: [String: String]) -> String {
        if let dir = environment["MEMOS_MODEL_DIR"], !dir.isEmpty { return dir }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? "/tmp") + "/.cache"
        return cache + "/memos/models/all-MiniLM-L6-v2"
    }

    /// The files of that model (`MiniLMEmbedder.requiredFiles`, tested to agree).
    public static let modelFiles = ["model.safetensors", "vocab.txt"]
}

/// memos' version, one declaration for memosd (`system.health`) and memctl (`mcp`'s serverInfo).
public enum MemosVersion {
    public static let current = "0.1.0"
}
