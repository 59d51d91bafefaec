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
}
