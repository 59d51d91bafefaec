import Foundation
import MemAPI
import MemCube
import MemJSON
import MemScheduler
import MemServer
import MemStore
import Retrieval

/// memos-eval: turn-level recall@k on LoCoMo through memory.recall over the
/// socket, for each signal alone and for the fused default.
///
///   memos-eval [--data PATH] [--embedder minilm|hashing] [--model-dir DIR] [--markdown FILE]
///              [--consolidate yes [--steps a,b] [--show N]]   (--show: N changes per step)
///
/// With `--consolidate yes`, a consolidation run over every namespace follows
/// and the fused default is measured again: counts per step, the run time and
/// recall before and after. A memory merged into another counts as found when
/// its survivor is (the survivor stands for every turn merged into it).
///
/// Each conversation is added to its own namespace, in order, in batches:
/// text "Speaker: utterance [shares a photo: CAPTION]", the session's date as
/// occurred_at, the session key as session, the turn id in attributes.dia_id.
let ks = [1, 5, 10, 20]

/// `--name value` pairs.
func parseOptions(_ arguments: [String]) -> [String: String] {
    var options: [String: String] = [:]
    var i = 0
    while i + 1 < arguments.count {
        options[String(arguments[i].drop { $0 == "-" })] = arguments[i + 1]
        i += 2
    }
    return options
}

func run(_ options: [String: String]) throws {
    let environment = ProcessInfo.processInfo.environment
    let dataPath = options["data"] ?? "../shared/data/locomo10.json"
    guard FileManager.default.isReadableFile(atPath: dataPath) else {
        FileHandle.standardError.write(Data("""
            memos-eval: no LoCoMo file at \(dataPath): put locomo10.json there or name it with --data PATH \
            (make eval ARGS="--data PATH").

            """.utf8))
        exit(64)
    }
    let locomo = try LoCoMo(path: dataPath)
    let directory = "/tmp/memos-eval-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    BLAS.setThreads(1)
    let embedder: any Embedder
    switch options["embedder"] ?? "minilm" {
    case "hashing": embedder = HashingEmbedder()
    default:
        var minilm = try MiniLMEmbedder(directory: options["model-dir"] ?? DefaultPaths.modelDirectory(environment: environment))
        minilm.threads = 2
        embedder = minilm
    }
    let store = try SQLiteStore(path: directory + "/memos.db", durability: .normal)
    let index = ExactIndex(dimension: embedder.dimension)
    let service = try MemoryService(store: store, index: index, embedder: embedder, accessLog: AccessLog())
    let dispatcher = service.dispatcher(logger: Logger(level: .error))
    let server = SocketServer(path: directory + "/s.sock", maxFrameBytes: 64 << 20, maxConnections: 4, logger: Logger(level: .error)) {
        frame, connection in dispatcher.handle(frame: frame, connection: connection)
    }
    try server.start()
    defer { server.stop() }
    let client = MemosClient(socketPath: directory + "/s.sock")

    // Ingest.
    var start = Date()
    for conversation in locomo.conversations {
        let namespace = "locomo-\(conversation.id)"
        for batchStart in stride(from: 0, to: conversation.turns.count, by: 200) {
            let items = conversation.turns[batchStart..<min(batchStart + 200, conversation.turns.count)].map { turn in
                MemoryAdd.Item(
                    text: turn.memoryText, session: turn.session, attributes: ["dia_id": .string(turn.diaID)],
                    occurredAt: turn.occurredAt, speaker: turn.speaker)
            }
            _ = try client.call(MemoryAdd.self, .init(namespace: namespace, items: items))
        }
    }
    let turns = locomo.conversations.reduce(0) { $0 + $1.turns.count }
    let questions = locomo.conversations.reduce(0) { $0 + $1.questions.count }
    print("memos-eval: \(locomo.conversations.count) conversations, \(turns) turns, \(questions) questions (categories 1-4), embedder \(embedder.id)")
    print(String(format: "ingest: %.1f s", Date().timeIntervalSince(start)))

    // Configurations: every signal alone, then the default fusion.
    var configurations: [(String, [String: Double]?)] = Signal.allCases.map { signal in
        (signal.rawValue + " only", Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0.rawValue, $0 == signal ? 1.0 : 0.0) }))
    }
    configurations.append(("fused (default)", nil))
    // --weights vector=0.5,keyword=1 adds a configuration (for experiments; the table reports what ships).
    // Several may be given, separated by ";".
    for text in (options["weights"] ?? "").split(separator: ";") {
        var weights: [String: Double] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let value = Double(parts[1]) { weights[String(parts[0])] = value }
        }
        configurations.append(("weights \(text)", weights))
    }
    // --fusion rrf|relative: the fusion method for every configuration (experiments).
    let fusionOverride = options["fusion"]
    if let only = options["only"] {
        configurations = configurations.filter { $0.0.hasPrefix(only) || $0.0.hasPrefix("weights") }
    }

    var markdown = "| method | recall@1 | recall@5 | recall@10 | recall@20 | r@10 cat 1 multi-hop | cat 2 temporal | cat 3 open-domain | cat 4 single-hop | r@10 conv 1-5 | r@10 conv 6-10 | p50 ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    func evaluate(_ name: String, _ weights: [String: Double]?, stands: [String: [String]] = [:], via: MemosClient? = nil) throws {
        let client = via ?? client
        start = Date()
        var sums = [Int: Double](), counts = 0
        var byCategory = [Int: (Double, Int)]()
        // Tuned on conversations 1-5, reported on 6-10 too (issue 17): a gain on both halves is not a fit.
        var byHalf = [(0.0, 0), (0.0, 0)]
        var latencies: [Double] = []
        for (c, conversation) in locomo.conversations.enumerated() {
            for question in conversation.questions {
                let t0 = Date()
                let hits = try client.call(MemoryRecall.self, .init(
                    namespace: "locomo-\(conversation.id)", query: question.text, k: ks.max()!, weights: weights,
                    fusion: fusionOverride)).hits
                latencies.append(Date().timeIntervalSince(t0) * 1000)
                let ranked = hits.map { hit in
                    Set([hit.attributes["dia_id"]?.stringValue].compactMap { $0 } + (stands[hit.id] ?? []))
                }
                for k in ks {
                    let found = ranked.prefix(k).reduce(Set<String>()) { $0.union($1) }.intersection(question.evidence).count
                    sums[k, default: 0] += Double(found) / Double(question.evidence.count)
                }
                let found10 = ranked.prefix(10).reduce(Set<String>()) { $0.union($1) }.intersection(question.evidence).count
                byCategory[question.category, default: (0, 0)].0 += Double(found10) / Double(question.evidence.count)
                byCategory[question.category, default: (0, 0)].1 += 1
                byHalf[c < 5 ? 0 : 1].0 += Double(found10) / Double(question.evidence.count)
                byHalf[c < 5 ? 0 : 1].1 += 1
                counts += 1
            }
        }
        latencies.sort()
        let row = ks.map { String(format: "%.3f", sums[$0, default: 0] / Double(counts)) }
        let categories = (1...4).map { c in byCategory[c].map { String(format: "%.3f", $0.0 / Double($0.1)) } ?? "-" }
        let halves = byHalf.map { $0.1 > 0 ? String(format: "%.3f", $0.0 / Double($0.1)) : "-" }
        let line = "| \(name) | " + row.joined(separator: " | ") + " | " + categories.joined(separator: " | ") + " | " + halves.joined(separator: " | ")
            + String(format: " | %.2f |", latencies[latencies.count / 2])
        markdown += line + "\n"
        print(String(format: "%@: %.1f s", name, Date().timeIntervalSince(start)))
    }
    for (name, weights) in configurations { try evaluate(name, weights) }
    // --dump FILE: per question (JSON Lines) the fused default's 50 best with their
    // explanation, for offline analysis of misses and rerank ideas.
    if let path = options["dump"] {
        var lines: [String] = []
        for conversation in locomo.conversations {
            for question in conversation.questions {
                let hits = try client.call(MemoryRecall.self, .init(
                    namespace: "locomo-\(conversation.id)", query: question.text, k: 50, explain: true)).hits
                let record: JSONValue = .object([
                    "conversation": .string(conversation.id), "question": .string(question.text),
                    "category": .int(Int64(question.category)), "evidence": .array(question.evidence.sorted().map(JSONValue.string)),
                    "hits": .array(hits.map { hit in
                        .object([
                            "dia_id": hit.attributes["dia_id"] ?? .null, "session": hit.session.map(JSONValue.string) ?? .null,
                            "speaker": hit.speaker.map(JSONValue.string) ?? .null, "text": hit.text.map(JSONValue.string) ?? .null,
                            "score": .double(hit.score), "fused": .double(hit.explain?.fused ?? 0),
                            "boosts": .object((hit.explain?.boosts ?? [:]).mapValues(JSONValue.double)),
                            "signals": .object(hit.signals.mapValues { .double($0.score) }),
                        ])
                    }),
                ])
                lines.append(String(decoding: record.jsonBytes, as: UTF8.self))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    // --rerank "speaker=0.2;speaker=0.4,candidates=100": the fused default again with these
    // rerank knobs, each by its own service over the same store and indexes (side by side).
    for (n, text) in (options["rerank"] ?? "").split(separator: ";").enumerated() {
        let knobs: RecallKnobs
        do { knobs = try RecallKnobs(text, keywords: service.keywords.parameters) } catch {
            throw ClientError.protocolError("--rerank: \(error)")
        }
        // A keyword-index knob needs an index of its own, built from the same texts.
        var keywords = service.keywords
        if knobs.changesKeywords {
            keywords = KeywordIndex(parameters: knobs.keywords)
            _ = try MemoryService.buildKeywordIndex(keywords, from: store)
        }
        let variant = try MemoryService(
            store: store, index: index, keywords: keywords, embedder: embedder, accessLog: AccessLog(), rerank: knobs.rerank)
        let variantDispatcher = variant.dispatcher(logger: Logger(level: .error))
        let path = directory + "/v\(n).sock"
        let variantServer = SocketServer(path: path, maxFrameBytes: 64 << 20, maxConnections: 4, logger: Logger(level: .error)) {
            frame, connection in variantDispatcher.handle(frame: frame, connection: connection)
        }
        try variantServer.start()
        defer { variantServer.stop() }
        try evaluate("fused, rerank \(text)", nil, via: MemosClient(socketPath: path))
    }
    if options["consolidate"] == "yes" {
        start = Date()
        let steps = options["steps"].map { $0.split(separator: ",").map(String.init) }  // --steps a,b: only these
        let run = try client.call(ConsolidateRun.self, .init(all: true, steps: steps, wait: true))
        let seconds = Date().timeIntervalSince(start)
        guard let report = run.report else { throw ClientError.protocolError("consolidate.run returned no report") }
        print(String(format: "consolidation %@: %@ in %.1f s", run.runID, report.state, seconds))
        for name in report.plan {
            let step = report.steps[name]
            print("  \(name): \(step?.changed ?? 0) changed, \(step?.skipped ?? 0) skipped")
            for item in (step?.items ?? []).prefix(options["show"].flatMap { Int($0) } ?? 0) { print("    \(item)") }
        }
        if let error = report.error { print("  error: \(error)") }
        // Which turns each survivor stands for: the dia_ids of the memories merged into it.
        var stands: [String: [String]] = [:]
        for conversation in locomo.conversations {
            let namespace = "locomo-\(conversation.id)"
            var cursor: String?
            repeat {
                let page = try client.call(MemoryList.self, .init(
                    namespace: namespace, filter: WireFilter(state: "superseded"), limit: 1000, cursor: cursor))
                for memory in page.memories {
                    let versions = try client.call(MemoryHistory.self, .init(namespace: namespace, id: memory.id)).versions
                    guard let survivor = versions.last?.source?["superseded_by"]?.stringValue,
                          let dia = memory.attributes["dia_id"]?.stringValue else { continue }
                    stands[survivor, default: []].append(dia)
                }
                cursor = page.nextCursor
            } while cursor != nil
        }
        try evaluate("fused, after consolidation", nil, stands: stands)
    }
    print()
    print(markdown)
    if let path = options["markdown"] { try markdown.write(toFile: path, atomically: true, encoding: .utf8) }
}

// First, as memosd does: the same OpenBLAS kernels, so the figures are memosd's (may re-execute).
FileHandle.standardError.write(Data("memos-eval: \(BLASTuning.apply(environment: ProcessInfo.processInfo.environment))\n".utf8))
do {
    try run(parseOptions(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("memos-eval: \(error)\n".utf8))
    exit(1)
}
