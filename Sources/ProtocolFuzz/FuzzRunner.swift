import Foundation
import MemAPI
import MemJSON
import MemStore
#if canImport(Glibc)
import Glibc
#endif

/// Drives a running memosd with fuzz frames and judges every reply.
///
/// Before the frames: the recorded fixture requests are replayed, so the
/// store holds memories, payloads, links and a consolidation run, and the
/// fixtures' ids are mapped to the live ones. Then, for each frame: the
/// reply (or its absence) must arrive within `replyTimeout` seconds, be
/// JSON-RPC with a documented error code and a message free of Swift's
/// debug text, match the frame's expectation, and never be
/// `internal_error`; memosd must still be running; and unless the frame
/// succeeded on a method that writes, the database must be exactly as it
/// was (SQLite's `data_version` says whether anything committed; a full
/// dump, access statistics aside, says whether the bytes changed).
///
/// Single-threaded: one runner owns its connections and its dump.
public final class FuzzRunner {
    public struct Report: Sendable {
        public var frames = 0
        public var crashes = 0
        public var hangs = 0
        public var internalErrors = 0
        public var changedStores = 0
        public var wrongAnswers = 0
        public var byLabel: [String: Int] = [:]
        public var byReply: [String: Int] = [:]
        /// The first problems found, each with the frame that caused it.
        public var problems: [String] = []

        public var clean: Bool { crashes == 0 && hangs == 0 && internalErrors == 0 && changedStores == 0 && wrongAnswers == 0 }

        public var summary: String {
            let replies = byReply.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(frames) frames: \(crashes) crashes, \(hangs) hangs, \(internalErrors) internal_error replies, "
                + "\(changedStores) changed stores, \(wrongAnswers) wrong answers (replies: \(replies))"
        }
    }

    let socketPath: String
    let databasePath: String
    let replyTimeout: Double
    let isAlive: () -> Bool
    private var fd: Int32 = -1
    private var reader: LineReader?
    private var dump: DatabaseDump?
    private var version: Int64 = 0
    private var baseline: String = ""
    private var baselineStale = true
    public private(set) var report = Report()

    /// Access statistics, which reads legitimately update.
    static let volatileColumns: Set<String> = ["cubes.access_count", "cubes.last_access", "cubes.heat"]

    public init(socketPath: String, databasePath: String, replyTimeout: Double = 30, isAlive: @escaping () -> Bool) {
        self.socketPath = socketPath
        self.databasePath = databasePath
        self.replyTimeout = replyTimeout
        self.isAlive = isAlive
    }

    deinit { if fd >= 0 { close(fd) } }

    // MARK: - Seeding

    /// Replays the fixtures (`[{method, params, response}]`) and returns them
    /// as requests whose ids are the live store's.
    public func seed(fixtures: JSONValue) throws -> [FrameGenerator.Request] {
        var idMap: [String: String] = [:]
        var requests: [FrameGenerator.Request] = []
        for (i, entry) in (fixtures.arrayValue ?? []).enumerated() {
            guard let method = entry["method"]?.stringValue, let params = entry["params"] else { continue }
            var live = Self.substituting(params, idMap)
            if method == SystemBackup.name {
                // Backups go beside the fuzzed data directory, never to the recorded path.
                let scratch = ((databasePath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
                live = ["dir": .string(scratch + "/fuzz-backup")]
            }
            requests.append(.init(method: method, params: live))
            if method == SchedulerSubscribe.name { continue }  // would make this connection a runner
            let frame = JSONValue.object(["jsonrpc": "2.0", "id": .int(Int64(1_000_000 + i)), "method": .string(method), "params": live]).jsonBytes
            guard let reply = try exchange(frame, waitForProbe: false).first else { continue }
            if let recorded = entry["response"]?["result"], let result = reply["result"] {
                Self.collectIDs(recorded, result, into: &idMap)
            }
        }
        dump = try DatabaseDump(path: databasePath, skipping: Self.volatileColumns)
        version = try dump?.changeCounter() ?? 0
        baseline = try dump?.text() ?? ""
        baselineStale = false
        return requests
    }

    /// Pairs the ids of a recorded result with the live one's, by position.
    static func collectIDs(_ recorded: JSONValue, _ live: JSONValue, into map: inout [String: String]) {
        switch (recorded, live) {
        case (.string(let a), .string(let b)) where a != b && (a.count == 26 || a.hasPrefix("run-") || a.hasPrefix("job-")):
            map[a] = b
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) { collectIDs(x, y, into: &map) }
        case (.object(let a), .object(let b)):
            for (key, x) in a { if let y = b[key] { collectIDs(x, y, into: &map) } }
        default: break
        }
    }

    static func substituting(_ value: JSONValue, _ map: [String: String]) -> JSONValue {
        switch value {
        case .string(let s): return .string(map[s] ?? s)
        case .array(let items): return .array(items.map { substituting($0, map) })
        case .object(let object): return .object(object.mapValues { substituting($0, map) })
        default: return value
        }
    }

    // MARK: - Frames

    public func run(_ generator: inout FrameGenerator, frames: Int, progress: ((Report) -> Void)? = nil) {
        for n in 0..<frames {
            check(generator.next())
            if report.crashes > 0 { return }
            if n % 1000 == 999 { progress?(report) }
        }
    }

    /// Sends one frame and judges what comes back.
    public func check(_ fuzz: FuzzCase) {
        report.frames += 1
        report.byLabel[fuzz.label.split(separator: ":").first.map(String.init) ?? fuzz.label, default: 0] += 1
        let replies: [JSONValue]
        do {
            replies = try exchange(fuzz.frame, waitForProbe: fuzz.mayGoUnanswered)
        } catch FuzzError.timedOut {
            report.hangs += 1
            problem("no reply within \(replyTimeout) s", fuzz)
            reconnect()
            return
        } catch {
            if !daemonSurvives() {
                report.crashes += 1
                problem("memosd died (\(error))", fuzz)
                return
            }
            report.wrongAnswers += 1
            problem("the connection failed: \(error)", fuzz)
            reconnect()
            return
        }
        var wrote = false
        if fuzz.mayGoUnanswered && replies.isEmpty {
            report.byReply["no reply", default: 0] += 1
            wrote = !DocumentedErrors.readOnly.contains(fuzz.method ?? "")
        }
        for reply in replies.prefix(1) {
            wrote = judge(reply, fuzz) || wrote
            awaitBackgroundWork(reply)
        }
        if !isAlive() {
            report.crashes += 1
            problem("memosd died after replying", fuzz)
            return
        }
        checkStore(fuzz, mayHaveWritten: wrote)
    }

    /// Judges one reply line (an object, or a batch's array); true when it
    /// reports a success that may have written.
    private func judge(_ reply: JSONValue, _ fuzz: FuzzCase) -> Bool {
        if case .array(let items) = reply {
            guard fuzz.label == "batch", !items.isEmpty else {
                report.wrongAnswers += 1
                problem("an array reply to a single request", fuzz)
                return false
            }
            var wrote = false
            for item in items { wrote = judgeOne(item, fuzz, expect: .anyDocumented, id: nil) || wrote }
            return wrote
        }
        return judgeOne(reply, fuzz, expect: fuzz.expect, id: fuzz.id)
    }

    private func judgeOne(_ reply: JSONValue, _ fuzz: FuzzCase, expect: FuzzCase.Expect, id: JSONValue?) -> Bool {
        guard reply["jsonrpc"] == .string("2.0") else {
            report.wrongAnswers += 1
            problem("the reply is not JSON-RPC 2.0: \(String(describing: reply).prefix(200))", fuzz)
            return false
        }
        if let id, reply["id"] != id {
            report.wrongAnswers += 1
            problem("the reply's id \(reply["id"] ?? .null) is not the request's \(id)", fuzz)
        }
        if let error = reply["error"] {
            let name = error["data"]?["name"]?.stringValue ?? "?"
            report.byReply[name, default: 0] += 1
            let code = error["code"]?.intValue ?? 0
            let message = error["message"]?.stringValue ?? ""
            if name == "internal_error" {
                report.internalErrors += 1
                problem("internal_error: \(message)", fuzz)
                return false
            }
            if !DocumentedErrors.names.contains(name) || !DocumentedErrors.codes.contains(code)
                || ErrorCode(rawValue: code)?.name != name {
                report.wrongAnswers += 1
                problem("an undocumented error \(code) \(name)", fuzz)
            }
            if message.isEmpty || DocumentedErrors.debugText.contains(where: { message.contains($0) }) {
                report.wrongAnswers += 1
                problem("the message is empty or shows Swift's debug text: \(message.prefix(300))", fuzz)
            }
            if case .error(let names) = expect, !names.contains(name) {
                report.wrongAnswers += 1
                problem("got \(name) (\(message.prefix(200))), expected \(names.sorted().joined(separator: " or "))", fuzz)
            }
            return false
        }
        guard reply["result"] != nil else {
            report.wrongAnswers += 1
            problem("a reply with neither result nor error", fuzz)
            return false
        }
        report.byReply["result", default: 0] += 1
        if case .error(let names) = expect {
            report.wrongAnswers += 1
            problem("succeeded, expected \(names.sorted().joined(separator: " or "))", fuzz)
        }
        return fuzz.method == "batch" || !DocumentedErrors.readOnly.contains(fuzz.method ?? "")
    }

    /// A consolidation run started without `wait` goes on writing after its
    /// reply: wait for it to finish, so that its writes are not taken for
    /// those of later frames.
    private func awaitBackgroundWork(_ reply: JSONValue) {
        let results = reply.arrayValue?.compactMap { $0["result"] } ?? [reply["result"]].compactMap { $0 }
        for result in results {
            guard let runID = result["run_id"]?.stringValue, result["report"]?["finished_at"]?.stringValue == nil else { continue }
            let deadline = Date().addingTimeInterval(replyTimeout)
            while Date() < deadline {
                let status = JSONValue.object([
                    "jsonrpc": "2.0", "id": "fuzz-status", "method": .string(ConsolidateStatus.name), "params": ["run_id": .string(runID)],
                ]).jsonBytes
                guard let answer = try? exchange(status, waitForProbe: false).first, let report = answer["result"]?["report"],
                      report["state"]?.stringValue == "running"
                else { break }
                usleep(10_000)
            }
            baselineStale = true
            if let now = try? dump?.changeCounter() { version = now }
        }
    }

    /// The database is as it was, unless the frame may have written.
    private func checkStore(_ fuzz: FuzzCase, mayHaveWritten: Bool) {
        guard let dump else { return }
        do {
            let now = try dump.changeCounter()
            guard now != version else { return }  // nothing committed
            version = now
            if mayHaveWritten {
                baselineStale = true
                return
            }
            let text = try dump.text()
            if !baselineStale && text != baseline {
                report.changedStores += 1
                problem("a refused or read-only request changed the stored data: \(Self.firstDifference(baseline, text))", fuzz)
            }
            baseline = text
            baselineStale = false
        } catch {
            problem("cannot read the database: \(error)", fuzz)
        }
    }

    /// The first line where two dumps differ, before and after.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false), y = b.split(separator: "\n", omittingEmptySubsequences: false)
        var table = ""
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? x[i] : "(none)", r = i < y.count ? y[i] : "(none)"
            if l.hasPrefix("# ") { table = String(l) }
            if l != r { return "\(table): '\(l.prefix(300))' became '\(r.prefix(300))'" }
        }
        return "no line differs"
    }

    private func problem(_ text: String, _ fuzz: FuzzCase) {
        guard report.problems.count < 50 else { return }
        let frame = String(decoding: fuzz.frame.prefix(300), as: UTF8.self).map { $0.isASCII && !$0.isNewline ? String($0) : "?" }.joined()
        report.problems.append("[\(fuzz.label)] \(text)\n    frame: \(frame)\(fuzz.frame.count > 300 ? "… (\(fuzz.frame.count) bytes)" : "")")
    }

    /// After a broken connection: memosd is still up and answers a probe
    /// (a dying process can take a moment to exit while it prints its backtrace).
    private func daemonSurvives() -> Bool {
        reconnect()
        for _ in 0..<30 {
            guard isAlive() else { return false }
            if let reply = try? exchange(Self.probe, waitForProbe: false).first, reply["id"] == Self.probeID { return true }
            reconnect()
            usleep(100_000)
        }
        return false
    }

    // MARK: - Connection

    enum FuzzError: Error { case timedOut, closed }

    private func connect() throws {
        if fd >= 0 { return }
        fd = try SocketIO.connect(path: socketPath)
        try SocketIO.setTimeout(fd, SO_RCVTIMEO, seconds: replyTimeout)
        try SocketIO.setTimeout(fd, SO_SNDTIMEO, seconds: replyTimeout)
        reader = LineReader(fd: fd, maxFrameBytes: 64 << 20)
    }

    private func reconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        reader = nil
    }

    static let probeID = JSONValue.string("fuzz-probe")
    static let probe = JSONValue.object(["jsonrpc": "2.0", "id": probeID, "method": .string(SystemHealth.name)]).jsonBytes

    /// Sends a frame and returns its reply lines: one, or none for a frame
    /// that may go unanswered (then a probe follows and marks the end).
    func exchange(_ frame: [UInt8], waitForProbe: Bool) throws -> [JSONValue] {
        try connect()
        try SocketIO.writeAll(fd, frame + [UInt8(ascii: "\n")] + (waitForProbe ? Self.probe + [UInt8(ascii: "\n")] : []))
        var replies: [JSONValue] = []
        while true {
            let line: [UInt8]
            do {
                guard case .line(let bytes)? = try reader?.next() else {
                    reconnect()
                    throw FuzzError.closed
                }
                line = bytes
            } catch let error as SocketError where error.code == EAGAIN || error.code == EWOULDBLOCK {
                throw FuzzError.timedOut
            }
            guard let value = try? JSONReader.parse(line) else {
                return [.string("unparsable reply: " + String(decoding: line.prefix(200), as: UTF8.self))]
            }
            // A runner's job notification (after a fuzzed subscribe) is not a reply.
            if value["method"] != nil && value["id"] == nil { continue }
            if waitForProbe {
                if value["id"] == Self.probeID { return replies }
                replies.append(value)
            } else {
                return [value]
            }
        }
    }

    // MARK: - Misbehaving clients

    /// Clients that send half a line and leave, dribble a request a byte at
    /// a time, or never read their replies: memosd must go on serving others.
    public func misbehavingClients(sendTimeout: Double) {
        // Half a request, then gone.
        for cut in [1, 10, 40] {
            if let other = try? SocketIO.connect(path: socketPath) {
                try? SocketIO.writeAll(other, Array(Self.probe.prefix(cut)))
                close(other)
            }
        }
        // A request a byte at a time.
        if let slow = try? SocketIO.connect(path: socketPath) {
            try? SocketIO.setTimeout(slow, SO_RCVTIMEO, seconds: replyTimeout)
            for byte in Self.probe + [UInt8(ascii: "\n")] {
                try? SocketIO.writeAll(slow, [byte])
                usleep(500)
            }
            var slowReader = LineReader(fd: slow, maxFrameBytes: 1 << 20)
            if case .line(let line)? = try? slowReader.next(), (try? JSONReader.parse(line))?["id"] == Self.probeID {
            } else {
                report.wrongAnswers += 1
                report.problems.append("[slow-client] a request sent a byte at a time got no answer")
            }
            close(slow)
        }
        // Never reads: floods requests with large replies, then sits.
        if let flood = try? SocketIO.connect(path: socketPath) {
            try? SocketIO.setTimeout(flood, SO_SNDTIMEO, seconds: 1)
            let request = JSONValue.object([
                "jsonrpc": "2.0", "id": 1, "method": .string(SystemStats.name),
            ]).jsonBytes + [UInt8(ascii: "\n")]
            for _ in 0..<20_000 { if (try? SocketIO.writeAll(flood, request)) == nil { break } }
            // Others are served meanwhile.
            let began = Date()
            if (try? exchange(Self.probe, waitForProbe: false)) == nil {
                report.hangs += 1
                report.problems.append("[never-reading-client] another client was not served while one did not read")
            }
            if Date().timeIntervalSince(began) > 5 {
                report.problems.append("[never-reading-client] another client waited \(Date().timeIntervalSince(began)) s")
            }
            // And the flooder is cut off after the send timeout.
            if sendTimeout > 0 {
                usleep(UInt32(min(sendTimeout + 2, 30) * 1_000_000))
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                var ended = false
                let deadline = Date().addingTimeInterval(30)
                try? SocketIO.setTimeout(flood, SO_RCVTIMEO, seconds: 1)
                while Date() < deadline {
                    let n = buffer.withUnsafeMutableBytes { recv(flood, $0.baseAddress, $0.count, 0) }
                    if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { ended = true; break }
                    if n < 0 { break }  // nothing buffered and still open
                }
                if !ended {
                    report.wrongAnswers += 1
                    report.problems.append("[never-reading-client] still connected \(sendTimeout + 2) s after it stopped reading")
                }
            }
            close(flood)
        }
        if !isAlive() {
            report.crashes += 1
            report.problems.append("[misbehaving-clients] memosd died")
        }
    }
}
