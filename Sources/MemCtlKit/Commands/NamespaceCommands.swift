import MemAPI

// memctl namespace (list, share, unshare).
extension Commands {
    static let namespace = Command(
        name: "namespace", summary: "List the namespaces you may use; share one with another user, or stop.",
        about: """
            Other local users reach memosd only when it runs with --allow-uid or
            --allow-gid; each may use the namespaces it owns (the first write to
            a namespace makes its writer the owner) and those shared with it.
            The owner shares with `share NS UID` (read; --access read-write to let
            them write too) and takes it back with `unshare NS UID`; both are
            recorded in the audit log (docs/security.md).
            """,
        usage: "namespace [list] | share NS UID [--access ACCESS] | unshare NS UID",
        options: [
            Option("--access", "ACCESS", "read (default) or read-write"),
        ]
    ) { args, session in
        let words = args.positionals
        switch words.first ?? "list" {
        case "list":
            guard words.count <= 1 else { throw UsageError("namespace list takes no arguments") }
            let r = try session.call(NamespaceList.self, NoParams())
            guard !session.json else { return }
            for entry in r.namespaces {
                var line = entry.namespace.padding(24) + " owner " + String(entry.owner).leftPad(6) + "  " + entry.access
                if let shares = entry.shares, !shares.isEmpty {
                    line += "  shared with " + shares.map { "\($0.uid) (\($0.access))" }.joined(separator: ", ")
                }
                print(line)
            }
        case "share", "unshare":
            guard words.count == 3 else { throw UsageError("namespace \(words[0]) takes a namespace and a user id") }
            let uid = try integer(words[2], "UID")
            if words[0] == "share" {
                let r = try session.call(NamespaceShare.self, .init(namespace: words[1], uid: uid, access: args.value("--access")))
                if !session.json { print("\(r.namespace): user \(r.uid) may now \(r.access == "read" ? "read" : "read and write")") }
            } else {
                if args.value("--access") != nil { throw UsageError("--access goes with share, not unshare") }
                let r = try session.call(NamespaceUnshare.self, .init(namespace: words[1], uid: uid))
                if !session.json {
                    print(r.removed == nil ? "\(r.namespace) was not shared with user \(r.uid)" : "\(r.namespace): user \(r.uid) no longer has access")
                }
            }
        default:
            throw UsageError("namespace takes list, share or unshare (got '\(words[0])')")
        }
    }
}
