import MemAPI

// memctl link, neighbors.
extension Commands {
    static let link = Command(
        name: "link", summary: "Link two memories; recall's graph signal follows links.",
        about: "",
        usage: "link FROM_ID TO_ID [--type TYPE] [--weight W]",
        options: [
            Option("--type", "TYPE", "what the link means (default related)"),
            Option("--weight", "W", "0...1 (default 1)"),
        ]
    ) { args, session in
        guard args.positionals.count == 2 else { throw UsageError("link takes two IDs: FROM and TO") }
        let result = try session.call(MemoryLink.self, .init(
            namespace: session.namespace, from: args.positionals[0], to: args.positionals[1], type: args.value("--type"),
            weight: try args.value("--weight").map { try number($0, "--weight") }))
        if !session.json { print("\(result.from) -[\(result.type) \(result.weight)]-> \(result.to)") }
    }

    static let neighbors = Command(
        name: "neighbors", summary: "Show a memory's neighbourhood: session order, links, shared entities.",
        about: "",
        usage: "neighbors ID [--limit N]",
        options: [
            Option("--limit", "N", "how many neighbours (default 20)"),
        ]
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("neighbors takes one ID") }
        let r = try session.call(GraphNeighbors.self, .init(
            namespace: session.namespace, id: args.positionals[0], limit: try args.value("--limit").map { try integer($0, "--limit") }))
        guard !session.json else { return }
        if !r.entities.isEmpty {
            print("entities  " + r.entities.map { "\($0.display) (\($0.kind), \($0.mentions))" }.joined(separator: ", "))
        }
        for n in r.neighbors {
            let via = n.via.map { " via " + $0.joined(separator: ", ") } ?? ""
            print("\(n.relation.padding(10))\(n.id)  \(Output.oneLine(n.text, width: 70))\(via)")
        }
    }
}
