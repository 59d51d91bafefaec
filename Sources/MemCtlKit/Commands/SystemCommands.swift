import MemAPI

// memctl stats, health, reindex.
extension Commands {
    static let stats = Command(
        name: "stats", summary: "Counts, sizes and traffic of the daemon.",
        about: "",
        usage: "stats",
        options: []
    ) { _, session in
        let s = try session.call(SystemStats.self, NoParams())
        guard !session.json else { return }
        print("embedder    \(s.embedder)")
        print("database    \(bytes(s.databaseBytes)) (+ \(bytes(s.walBytes)) WAL)")
        print("memories    \(s.versions) versions, \(s.vectors) vectors, \(s.indexedVectors) indexed")
        print("traffic     \(s.requests) requests, \(s.errors) errors, \(s.connections) connected, up \(Int(s.uptimeSeconds)) s")
        for n in s.namespaces {
            print("  \(n.namespace.padding(20))\(n.active) active, \(n.superseded) superseded, \(n.forgotten) forgotten")
        }
    }

    static let health = Command(
        name: "health", summary: "Is memosd up?",
        about: "",
        usage: "health",
        options: []
    ) { _, session in
        let h = try session.call(SystemHealth.self, NoParams())
        if !session.json { print("\(h.status)  memosd \(h.version), up \(Int(h.uptimeSeconds)) s, embedder \(h.embedder)") }
    }

    static let reindex = Command(
        name: "reindex", summary: "Re-embed memories whose vectors come from another embedder.",
        about: """
            memosd does this by itself in the background when its --embedder changed;
            this starts it if it is not running and shows how far it got.
            """,
        usage: "reindex [--wait]",
        options: [
            Option("--wait", "return only when every memory has a current vector"),
        ]
    ) { args, session in
        let r = try session.call(SystemReindex.self, .init(wait: args.has("--wait") ? true : nil))
        guard !session.json else { return }
        let state = r.running ? "running" : (r.pending == 0 ? "up to date" : "stopped")
        print("\(state): \(r.done) re-embedded, \(r.pending) pending, embedder \(r.embedder)")
        if let error = r.lastError { print("last error: \(error)") }
    }
}
