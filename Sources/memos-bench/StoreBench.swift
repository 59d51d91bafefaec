import Foundation
import MemAPI
import MemCube
import MemJSON
import MemScheduler
import MemServer
import MemStore
import Retrieval

/// `memos-bench store`: ingest and recall over the real socket, hashing
/// embedder, deterministic texts.
/// Flags: --memories N (10000) --singles N (1000) --queries N (1000) --synchronous full|normal
/// --session-size N (0: memories in no session) --rerank "knob=value,..." (a variant interleaved with the defaults)
/// --embedder hashing|minilm (hashing; minilm needs `make model` and embeds every text)
let vocabulary = """
    alice bob caroline melanie john dog cat garden painting hiking paris berlin tokyo coffee tea ramen pottery \
    concert guitar piano marathon yoga book novel school work project deadline meeting doctor birthday wedding \
    vacation beach mountain camping kayak bicycle recipe pasta salad museum friend sister brother mother father \
    adopted moved started finished visited bought loves hates plans remembers said went joined learned painted \
    yesterday today tomorrow week month year summer winter spring autumn morning evening
    """.split(separator: " ").map(String.init)

/// A 5,000-word synthetic lexicon (the 100 common words first, then made-up
/// words) drawn with a skew toward the front, roughly like word frequencies
/// in real text: a few words are everywhere, most are rare.
let lexicon: [String] = {
    var rng = SplitMix64(seed: 7)
    let syllables = ["ka", "lo", "mi", "ren", "ta", "vo", "shi", "pel", "dar", "nu", "qui", "zan", "bo", "ter", "gli", "mar"]
    var words = vocabulary
    while words.count < 5000 {
        words.append((0..<Int.random(in: 2...4, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }.joined())
    }
    return words
}()

func word(_ rng: inout SplitMix64) -> String {
    let u = Double.random(in: 0..<1, using: &rng)
    return lexicon[min(lexicon.count - 1, Int(Double(lexicon.count) * u * u * u))]
}

func sentence(_ rng: inout SplitMix64) -> String {
    (0..<Int.random(in: 10...30, using: &rng)).map { _ in word(&rng) }.joined(separator: " ")
}

func storeBenchmark(_ flags: Flags) throws {
    let memories = flags.int("memories", 10_000)
    let singles = flags.int("singles", 1_000)
    let queries = flags.int("queries", 1_000)
    // --session-size N: memories in sessions of N, in order (0: none), as conversations are.
    let sessionSize = flags.int("session-size", 0)
    let durability = SQLiteStore.Durability(rawValue: flags.string("synchronous", "full")) ?? .full
    let directory = "/tmp/memos-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    let store = try SQLiteStore(path: directory + "/memos.db", durability: durability)
    BLAS.setThreads(1)
    let embedder: any Embedder
    switch flags.string("embedder", "hashing") {
    case "minilm":
        var minilm = try MiniLMEmbedder(directory: DefaultPaths.modelDirectory(environment: ProcessInfo.processInfo.environment))
        minilm.threads = 2
        embedder = minilm
    default:
        embedder = HashingEmbedder()
    }
    let index = TieredIndex(dimension: embedder.dimension)
    let service = try MemoryService(store: store, index: index, embedder: embedder, accessLog: AccessLog())
    let dispatcher = service.dispatcher(logger: Logger(level: .error))
    let server = SocketServer(
        path: directory + "/s.sock", maxFrameBytes: 64 << 20, maxConnections: 16, logger: Logger(level: .error)
    ) { frame, connection in dispatcher.handle(frame: frame, connection: connection) }
    try server.start()
    let client = MemosClient(socketPath: directory + "/s.sock")

    var rng = SplitMix64(seed: 42)
    print("memos-bench: \(memories) memories, \(embedder.id) embedder, synchronous=\(durability.rawValue), BLAS core \(BLAS.coreName)")

    // Batched ingest.
    let texts = (0..<memories).map { _ in sentence(&rng) }
    var start = now()
    for batchStart in stride(from: 0, to: texts.count, by: 500) {
        let items = (batchStart..<min(batchStart + 500, texts.count)).map { i in
            MemoryAdd.Item(text: texts[i], session: sessionSize > 0 ? "s\(i / sessionSize)" : nil)
        }
        _ = try client.call(MemoryAdd.self, .init(namespace: "bench", items: items))
    }
    let batched = Double(texts.count) / (now() - start)
    print(String(format: "add, batches of 500:  %8.0f memories/s", batched))

    // Single adds, one request and one commit each.
    start = now()
    for i in 0..<singles {
        _ = try client.call(MemoryAdd.self, .init(namespace: "singles", item: .init(text: texts[i % texts.count])))
    }
    let single = Double(singles) / (now() - start)
    print(String(format: "add, one per request: %8.0f memories/s", single))

    index.waitForPromotions()
    print("vector index for the namespace: \(index.kind(namespace: "bench"))")
    // The same recalls through the dispatcher in-process (frame in, frame out; no socket).
    func dispatchedRecalls(_ label: String) {
        var dispatched: [Double] = []
        for _ in 0..<queries {
            let query = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
            let frame = Array(#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"bench","query":"\#(query)","k":10,"explain":true}}"#.utf8)
            let t0 = now()
            _ = dispatcher.handle(frame: frame, peer: nil)
            dispatched.append((now() - t0) * 1000)
        }
        dispatched.sort()
        print(String(format: "recall through the dispatcher in-process, %@: p50 %.2f ms  p99 %.2f ms", label, percentile(dispatched, 0.5), percentile(dispatched, 0.99)))
    }
    dispatchedRecalls("before the socket passes")
    // --rerank "speaker=0,session=0": the same recalls by a service with these rerank knobs over the
    // same store and indexes, interleaved query by query with the default's (a ratio, on a busy machine).
    if let knobs = flags.optionalString("rerank") {
        let parsed: RecallKnobs
        do { parsed = try RecallKnobs(knobs) } catch { throw ClientError.protocolError("--rerank: \(error)") }
        guard !parsed.changesKeywords else {
            throw ClientError.protocolError("--rerank: keyword-index knobs need an index of their own; memos-eval --rerank builds one")
        }
        let variant = try MemoryService(
            store: store, index: index, keywords: service.keywords, embedder: embedder, accessLog: AccessLog(), rerank: parsed.rerank)
        let variantDispatcher = variant.dispatcher(logger: Logger(level: .error))
        var base: [Double] = [], other: [Double] = []
        for i in 0..<queries {
            let query = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
            let frame = Array(#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"bench","query":"\#(query)","k":10}}"#.utf8)
            // Each goes first every other query: the second of a pair finds the caches warm.
            for which in i % 2 == 0 ? [0, 1] : [1, 0] {
                let t0 = now()
                _ = (which == 0 ? dispatcher : variantDispatcher).handle(frame: frame, peer: nil)
                if which == 0 { base.append((now() - t0) * 1000) } else { other.append((now() - t0) * 1000) }
            }
        }
        base.sort()
        other.sort()
        print(String(format: "recall in-process, interleaved: defaults p50 %.3f ms p99 %.3f ms; rerank %@ p50 %.3f ms p99 %.3f ms; defaults/rerank p50 %.2f×",
                     percentile(base, 0.5), percentile(base, 0.99), knobs, percentile(other, 0.5), percentile(other, 0.99),
                     percentile(base, 0.5) / percentile(other, 0.5)))
    }
    // Recall latency over the socket, less the time memosd spent embedding
    // the query (from explain's timings_ms).
    // Twice: the first pass starts with an empty cube cache.
    // A third pass as a plain client sees it: no explain, the embedding included.
    for pass in ["first pass", "second pass", "plain client, embedding included"] {
        var latencies: [Double] = []
        let explain = !pass.hasPrefix("plain")
        for _ in 0..<queries {
            let query = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
            let t0 = now()
            let result = try client.call(MemoryRecall.self, .init(namespace: "bench", query: query, k: 10, explain: explain ? true : nil))
            latencies.append((now() - t0) * 1000 - (result.timingsMS?["embed"] ?? 0))
        }
        latencies.sort()
        print(String(format: "recall k=10 at %d, %@: p50 %.2f ms  p99 %.2f ms  max %.2f ms",
                     memories, pass, percentile(latencies, 0.5), percentile(latencies, 0.99), latencies.last ?? 0))
    }
    // The server as any client sees it: request bytes written, reply bytes read,
    // before the client's own JSON parsing (a Python client's json.loads of
    // this reply takes ~0.02 ms; the Swift client's JSONDecoder ~0.19 ms).
    struct Timed: Decodable {
        struct Result: Decodable { let timings_ms: [String: Double]? }
        let result: Result?
    }
    var raw: [Double] = []
    for _ in 0..<queries {
        let query = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
        let frame = Data(#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"bench","query":"\#(query)","k":10,"explain":true}}"#.utf8)
        let t0 = now()
        let reply = try client.send(frame)
        let elapsed = (now() - t0) * 1000
        let embed = try JSONDecoder().decode(Timed.self, from: Data(reply)).result?.timings_ms?["embed"] ?? 0
        raw.append(elapsed - embed)
    }
    raw.sort()
    print(String(format: "recall k=10 at %d, raw frames (bytes out, bytes in), less embed: p50 %.2f ms  p99 %.2f ms  max %.2f ms",
                 memories, percentile(raw, 0.5), percentile(raw, 0.99), raw.last ?? 0))
    // The engine's own steps for new queries (in-process, no socket or JSON),
    // alternating with an engine that runs the signals one after the other.
    let engine = RecallEngine(store: store, index: index, keywords: service.keywords, embedder: embedder)
    let sequential = RecallEngine(store: store, index: index, keywords: service.keywords, embedder: embedder, parallelSignals: false)
    var steps: [RecallTimings] = []
    var sequentialTotals: [Double] = []
    for i in 0..<queries {
        let query = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
        let otherQuery = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
        for which in (i % 2 == 0 ? [0, 1] : [1, 0]) {
            var timings = RecallTimings()
            if which == 0 {
                _ = try engine.recall(RecallQuery(namespace: "bench", text: query, k: 10), timings: &timings)
                steps.append(timings)
            } else {
                _ = try sequential.recall(RecallQuery(namespace: "bench", text: otherQuery, k: 10), timings: &timings)
                sequentialTotals.append(timings.total)
            }
        }
    }
    print(String(format: "engine, signals one after the other: total p50 %.3f ms (alternating with the parallel engine below)",
                 percentile(sequentialTotals.sorted(), 0.5)))
    func stepMedian(_ value: (RecallTimings) -> Double) -> Double { percentile(steps.map(value).sorted(), 0.5) }
    print(String(format: "engine steps for new queries, medians (ms): embed %.3f, vector %.3f, keyword %.3f, graph %.3f, load %.3f, fusion and boosts %.3f; total %.3f, without embedding %.3f",
                 stepMedian(\.embed), stepMedian(\.vector), stepMedian(\.keyword), stepMedian(\.graph), stepMedian(\.load), stepMedian(\.rest), stepMedian(\.total),
                 stepMedian { $0.total - $0.embed }))

    // Each signal alone, to see where the time goes.
    for signal in ["vector", "keyword"] {
        var alone: [Double] = []
        for _ in 0..<max(1, queries / 4) {
            let query = (0..<6).map { _ in word(&rng) }.joined(separator: " ")
            let weights = Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0.rawValue, $0.rawValue == signal ? 1.0 : 0.0) })
            let t0 = now()
            let result = try client.call(MemoryRecall.self, .init(namespace: "bench", query: query, k: 10, explain: true, weights: weights))
            alone.append((now() - t0) * 1000 - (result.timingsMS?["embed"] ?? 0))
        }
        alone.sort()
        print(String(format: "  %@ only:%@ p50 %.2f ms  p99 %.2f ms", signal, signal == "vector" ? " " : "", percentile(alone, 0.5), percentile(alone, 0.99)))
    }

    dispatchedRecalls("after them")
    let sample = try client.call(MemoryRecall.self, .init(namespace: "bench", query: "coffee with caroline", k: 10))
    let jsonEncoder = JSONEncoder()
    let encoded = try jsonEncoder.encode(sample)
    let tEncode = try median { _ = try jsonEncoder.encode(sample) }
    let tWrite = median {
        var writer = JSONWriter()
        sample.write(to: &writer)
    }
    let tDecode = try median { _ = try JSONDecoder().decode(MemoryRecall.Result.self, from: encoded) }
    let tRead = try median { _ = try JSONValueDecoder().decode(MemoryRecall.Result.self, from: JSONReader.parse([UInt8](encoded))) }
    let healthFrame = Array(#"{"jsonrpc":"2.0","id":1,"method":"system.health"}"#.utf8)
    let tHealthDispatch = median { _ = dispatcher.handle(frame: healthFrame, peer: nil) }
    let tHealthSocket = try median { _ = try client.call(SystemHealth.self, NoParams()) }
    print(String(format: "recall result (%d bytes): encode %.3f ms (JSONEncoder), %.3f ms (JSONWriter), decode %.3f ms (JSONDecoder), %.3f ms (JSONReader + JSONValueDecoder); health: dispatch %.3f ms, socket %.3f ms",
                 encoded.count, tEncode, tWrite, tDecode, tRead, tHealthDispatch, tHealthSocket))
    server.stop()
}

/// `memos-bench keyword`: the in-memory BM25 index alone: build rate and
/// query latency over the skewed synthetic lexicon.
/// Flags: --memories N (100000) --queries N (1000) --session-size N (0: no sessions)
func keywordBenchmark(_ flags: Flags) {
    let n = flags.int("memories", 100_000), q = flags.int("queries", 1_000), sessionSize = flags.int("session-size", 0)
    var rng = SplitMix64(seed: 3)
    let texts = (0..<n).map { _ in sentence(&rng) }
    let index = KeywordIndex()
    var t0 = now()
    for (i, text) in texts.enumerated() {
        let session = sessionSize > 0 ? "s\(i / sessionSize)" : nil
        let meta = VectorMeta(tags: [], agent: nil, session: session, time: Timestamp(millis: 0), expiresAt: nil)
        index.upsert(namespace: "bench", key: Int64(i + 1), text: text, meta: meta)
    }
    let buildRate = Double(n) / (now() - t0)
    var latencies: [Double] = []
    let stamp = Timestamp.now()
    for _ in 0..<q {
        let terms = KeywordQuery.terms(for: (0..<6).map { _ in word(&rng) }.joined(separator: " "))
        t0 = now()
        _ = index.search(namespace: "bench", terms: terms, k: 50, filter: CubeFilter(), now: stamp)
        latencies.append((now() - t0) * 1000)
    }
    latencies.sort()
    print(String(format: "keyword index: %d memories (sessions of %d): build %.0f memories/s; search k=50 p50 %.3f ms p99 %.3f ms",
                 n, sessionSize, buildRate, percentile(latencies, 0.5), percentile(latencies, 0.99)))
}

/// `memos-bench scheduler`: memories used with a skew, the tick run, and the
/// working tier's RAM against its budget.
/// Flags: --memories N (50000) --touches N (200000) --working-max N (2000) --working-max-mb N (4)
func schedulerBenchmark(_ flags: Flags) throws {
    let memories = flags.int("memories", 50_000), touches = flags.int("touches", 200_000)
    let directory = "/tmp/memos-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try SQLiteStore(path: directory + "/memos.db", durability: .normal)
    let embedder = HashingEmbedder()
    var planner = TierPlanner()
    planner.working = Budget(count: flags.int("working-max", 2_000), bytes: flags.int("working-max-mb", 4) << 20)
    planner.workingPerNamespace = planner.working
    let accessLog = AccessLog()
    let index = TieredIndex(dimension: embedder.dimension)
    // A background HNSW build must end before the process does.
    defer { index.waitForPromotions() }
    let service = try MemoryService(store: store, index: index, embedder: embedder, accessLog: accessLog, planner: planner)
    let dispatcher = service.dispatcher(logger: Logger(level: .error))
    var rng = SplitMix64(seed: 5)
    var ids: [String] = []
    for start in stride(from: 0, to: memories, by: 500) {
        let items = (start..<min(start + 500, memories)).map { _ in MemoryAdd.Item(text: sentence(&rng)) }
        let frame = try JSONEncoder().encode(Request(method: "memory.add", params: MemoryAdd.Params(namespace: "bench", items: items)))
        let reply = dispatcher.handle(frame: [UInt8](frame), peer: nil) ?? []
        ids += try JSONDecoder().decode(Reply<MemoryAdd.Result>.self, from: Data(reply)).result.ids ?? []
    }
    // Uses with a skew: a few memories are used often, most rarely.
    var t0 = now()
    for _ in 0..<touches {
        let u = Double.random(in: 0..<1, using: &rng)
        let i = min(ids.count - 1, Int(Double(ids.count) * u * u * u))
        let frame = #"{"jsonrpc":"2.0","id":1,"method":"scheduler.touch","params":{"namespace":"bench","ids":["\#(ids[i])"]}}"#
        _ = dispatcher.handle(frame: Array(frame.utf8), peer: nil)
    }
    let touchRate = Double(touches) / (now() - t0)
    try accessLog.flush(to: store, heat: planner.heat)
    t0 = now()
    let moves = try service.runScheduler(now: .now())
    let tickSeconds = now() - t0
    t0 = now()
    let again = try service.runScheduler(now: .now())
    let secondTick = now() - t0
    let records = try store.tierRecords()
    let working = records.filter { $0.tier == .working }
    let ram = store.residentUsage
    print("memos-bench scheduler: \(memories) memories, \(touches) skewed touches (\(Int(touchRate))/s)")
    print(String(format: "tick: %d moves in %.0f ms; a second tick: %d moves in %.0f ms", moves.count, tickSeconds * 1000, again.count, secondTick * 1000))

    print("working tier: \(working.count) memories of a \(planner.working.count) budget; their size \(working.reduce(0) { $0 + $1.bytes }) bytes of a \(planner.working.bytes) budget")
    print("working tier in RAM: \(ram.loaded) memories, \(ram.bytes) bytes (rows as cached; the budget counts text + vector + payload)")
    // The tick reads only the memories it could move (TierCandidates): now, and four weeks later with no use since.
    let readNow = try store.tierRecords(planner.candidates(now: .now())).count
    let later = Timestamp(millis: Timestamp.now().millis + 28 * 86_400_000)
    let readLater = try store.tierRecords(planner.candidates(now: later)).count
    t0 = now()
    let cooled = try service.runScheduler(now: later)
    let laterTick = now() - t0
    print(String(format: "candidates read by a tick: %d of %d memories now; four weeks later %d, a tick then: %d moves in %.0f ms",
                 readNow, memories, readLater, cooled.count, laterTick * 1000))
}


/// `memos-bench consolidate`: a consolidation run over one large namespace
/// (sessions of 20, some exact and near duplicates, some restated facts),
/// each step's time, and recall latency before and during the run.
/// Flags: --memories N (100000) --duplicates PERCENT (5)
func consolidateBenchmark(_ flags: Flags) throws {
    let memories = flags.int("memories", 100_000), duplicates = flags.int("duplicates", 5)
    let bench = try BenchService()
    defer { bench.close() }
    let index = bench.index
    var rng = SplitMix64(seed: 11)
    var texts: [String] = []
    var t0 = now()
    for start in stride(from: 0, to: memories, by: 500) {
        let items = (start..<min(start + 500, memories)).map { i -> MemoryAdd.Item in
            var text = sentence(&rng)
            if !texts.isEmpty, Int(rng.next() % 100) < duplicates {
                let earlier = texts[Int(rng.next() % UInt64(texts.count))]
                text = rng.next() % 2 == 0 ? earlier : earlier + " indeed"  // exact, or near (a word more)
            }
            texts.append(text)
            var item = MemoryAdd.Item(text: text, session: "s\(i / 20)")
            if i % 1000 == 0 { item.attributes = ["key": .string("fact-\(i % 7000)")] }  // facts restated every 7,000
            return item
        }
        _ = try bench.call("memory.add", MemoryAdd.Params(namespace: "bench", items: items), MemoryAdd.Result.self)
    }
    index.waitForPromotions()
    print(String(format: "memos-bench consolidate: %d memories (%d%% duplicates) added in %.1f s", memories, duplicates, now() - t0))
    func recallLatencies(_ count: Int) throws -> [Double] {
        var latencies: [Double] = []
        for i in 0..<count {
            let started = now()
            _ = try bench.call("memory.recall", MemoryRecall.Params(namespace: "bench", query: texts[(i * 7919) % texts.count], k: 10),
                         MemoryRecall.Result.self)
            latencies.append((now() - started) * 1000)
        }
        return latencies.sorted()
    }
    let before = try recallLatencies(300)
    t0 = now()
    let started = try bench.call("consolidate.run", ConsolidateRun.Params(namespace: "bench", wait: false), ConsolidateRun.Result.self)
    var during: [Double] = []
    var report: ConsolidateRun.Report?
    while true {
        report = try bench.call("consolidate.status", ConsolidateStatus.Params(runID: started.runID), ConsolidateStatus.Result.self).report
        if report?.state != "running" { break }
        during += try recallLatencies(20)
    }
    let seconds = now() - t0
    guard let report else { return }
    print(String(format: "run %@: %@ in %.1f s", report.runID, report.state, seconds))
    for name in report.plan {
        guard let step = report.steps[name] else { continue }
        print(String(format: "  %-10@ %6d changed in %.2f s", name, step.changed, step.seconds ?? 0))
    }
    during.sort()
    func p(_ values: [Double], _ q: Double) -> Double { values.isEmpty ? 0 : values[min(values.count - 1, Int(Double(values.count) * q))] }
    print(String(format: "recall (hashing, in-process): before p50 %.2f ms p99 %.2f ms; during the run (%d recalls) p50 %.2f ms p99 %.2f ms",
                 p(before, 0.5), p(before, 0.99), during.count, p(during, 0.5), p(during, 0.99)))
}
