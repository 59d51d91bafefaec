import Foundation
import MemJSON
import Synchronization
import Testing
import MemAPI
@testable import MemCtlKit
import MemCube
import MemStore
import Retrieval

/// The built binaries sit beside the test bundle in .build/<config>/.
let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

/// A memosd process on a temp socket and data directory.
final class LiveDaemon {
    let directory: String
    let socket: String
    private(set) var process: Process?

    let embedder: String

    /// `hashing` unless a test needs the model: fast to start, deterministic.
    init(embedder: String = "hashing", extra: [String] = []) throws {
        self.embedder = embedder
        // Short path: Unix socket paths are limited to 107 bytes.
        directory = "/tmp/memos-e2e-\(UUID().uuidString.prefix(8))"
        socket = directory + "/d.sock"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start(extra: extra)
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start(extra: [String] = [], embedder: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDirectory + "/memosd")
        process.arguments = ["--data-dir", directory + "/data", "--socket", socket, "--log-level", "warning",
                             "--embedder", embedder ?? self.embedder] + extra
        // Never the test's own stdout: a daemon outliving a crashed test run
        // would hold swift-test's pipe open.
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        try waitForSocket()
    }

    /// Polls until the daemon answers system.health (start-up, not timing).
    func waitForSocket() throws {
        for _ in 0..<500 {
            let client = MemosClient(socketPath: socket)
            if (try? client.call(SystemHealth.self, NoParams())) != nil { return }
            usleep(10_000)
        }
        throw CocoaError(.fileNoSuchFile)
    }

    func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func terminate() -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    /// Runs the built memctl against this daemon.
    /// `as`: run it as another local user (uid, gid) through setpriv (the test runs as root).
    func memctl(
        _ arguments: [String], stdin: String? = nil, env: [String: String] = [:], as user: (uid: UInt32, gid: UInt32)? = nil
    ) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid", "\(user.uid)", "--regid", "\(user.gid)", "--clear-groups", binDirectory + "/memctl"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binDirectory + "/memctl")
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["MEMOS_SOCKET"] = socket
        environment["MEMOS_NAMESPACE"] = nil
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

@Suite(.serialized) struct LiveDaemonTests {
    @Test func memctlDrivesTheWholeLifeCycle() throws {
        let d = try LiveDaemon()
        let add = try d.memctl(["add", "Melanie signed up for a pottery class", "--tag", "hobby", "--importance", "0.8"])
        #expect(add.status == 0, "\(add.err)")
        let id = try #require(add.out.split(separator: " ").first.map(String.init))

        let recall = try d.memctl(["recall", "pottery", "--json"])
        #expect(recall.status == 0)
        let hits = try JSONDecoder().decode(MemoryRecall.Result.self, from: Data(recall.out.utf8)).hits
        #expect(hits.first?.id == id)
        #expect(try d.memctl(["recall", "pottery class"]).out.contains("Melanie signed up"))

        #expect(try d.memctl(["get", id]).out.contains("importance  0.8"))
        #expect(try d.memctl(["update", id, "--text", "Melanie finished her pottery class"]).out.contains("v2"))
        let history = try d.memctl(["history", id])
        #expect(history.out.contains("v1") && history.out.contains("v2") && history.out.contains("update"))
        #expect(try d.memctl(["get", id, "--version", "1"]).out.contains("signed up"))

        #expect(try d.memctl(["forget", id]).out.contains("forgot 1"))
        #expect(try d.memctl(["recall", "pottery", "--json"]).out == "{\"hits\":[]}\n")
        #expect(try d.memctl(["list", "--state", "forgotten"]).out.contains(id))
        #expect(try d.memctl(["forget", id, "--purge"]).out.contains("purged 1"))
        let gone = try d.memctl(["get", id])
        #expect(gone.status == 1)
        #expect(gone.err.contains("purged"))

        let lines = try d.memctl(["add", "-", "--lines", "-n", "batch"], stdin: "first\nsecond\n\nthird\n")
        #expect(lines.status == 0)
        #expect(lines.out.split(separator: "\n").count == 3)
        #expect(try d.memctl(["list", "-n", "batch", "--json"]).out.contains("second"))
        #expect(try d.memctl(["stats"]).out.contains("batch"))
    }

    @Test func exitCodes() throws {
        let d = try LiveDaemon()
        #expect(try d.memctl(["recall"]).status == 64)
        #expect(try d.memctl(["frobnicate"]).status == 64)
        #expect(try d.memctl(["add", "x", "--bogus"]).status == 64)
        #expect(try d.memctl(["get", "not-an-id"]).status == 1)
        let unreachable = try d.memctl(["health"], env: ["MEMOS_SOCKET": d.directory + "/none.sock"])
        #expect(unreachable.status == 69)
        #expect(unreachable.err.contains("memosd"))
        #expect(try d.memctl(["help", "recall"]).out.contains("usage: memctl recall QUERY"))
    }

    /// memosd is killed while a consolidation run merges duplicates: after the
    /// restart the run resumes by itself and ends with each pair merged once.
    @Test func aConsolidationRunKilledHalfwayResumesAfterRestart() throws {
        let d = try LiveDaemon()
        let client = MemosClient(socketPath: d.socket)
        for batch in 0..<2 {
            let items = (0..<500).map { i in
                MemoryAdd.Item(text: "Reminder \(batch * 250 + i / 2): renew the parking permit for car \(batch * 250 + i / 2)")
            }
            _ = try client.call(MemoryAdd.self, .init(namespace: "dups", items: items))
        }
        let run = try client.call(ConsolidateRun.self, .init(namespace: "dups", steps: ["dedupe", "merge"], wait: false)).runID
        var merged = 0
        for _ in 0..<3000 {
            let report = try client.call(ConsolidateStatus.self, .init(runID: run)).report
            merged = report?.steps["merge"]?.changed ?? 0
            if merged > 20 || report?.state != "running" { break }
            usleep(2_000)
        }
        d.kill9()
        #expect(merged > 20 && merged < 500, "the kill came during the merge")
        try d.start()
        let reader = MemosClient(socketPath: d.socket)
        var report: ConsolidateRun.Report?
        for _ in 0..<1500 {
            report = try reader.call(ConsolidateReport.self, .init(runID: run)).report
            if report?.state != "running" { break }
            usleep(10_000)
        }
        #expect(report?.state == "done")
        #expect(report?.resumed == 1)
        let stats = try reader.call(SystemStats.self, NoParams()).namespaces.first { $0.namespace == "dups" }
        #expect(stats?.active == 500 && stats?.superseded == 500)
    }

    @Test func acknowledgedAddsSurviveKill9() throws {
        let d = try LiveDaemon()
        let client = MemosClient(socketPath: d.socket)
        var ids: [String] = []
        for i in 0..<200 {
            let result = try client.call(MemoryAdd.self, .init(namespace: "durable", item: .init(text: "fact number \(i)")))
            ids.append(try #require(result.id))
        }
        d.kill9()
        try d.start()  // the stale socket of the killed daemon is replaced
        let reader = MemosClient(socketPath: d.socket)
        var seen = Set<String>()
        var cursor: String?
        repeat {
            let page = try reader.call(MemoryList.self, .init(namespace: "durable", limit: 1000, cursor: cursor))
            page.memories.forEach { seen.insert($0.id) }
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == Set(ids))
        let hits = try reader.call(MemoryRecall.self, .init(namespace: "durable", query: "fact number 123", k: 3)).hits
        #expect(hits.first?.text == "fact number 123")
    }

    /// Payload adds stream in while memosd is killed: after the restart
    /// every memory's payload file is there and no payload file is left
    /// that no memory names (a kill between blob write and commit leaves one).
    @Test func payloadsSurviveKill9WithoutDanglingRowsOrOrphans() throws {
        let d = try LiveDaemon()
        let acknowledged = Mutex<[String]>([])
        let socket = d.socket
        let writer = Thread {
            let client = MemosClient(socketPath: socket)
            for i in 0..<400 {
                let payload = Self.kvPayload(seed: i)
                let item = MemoryAdd.Item(kind: "activation", format: "safetensors", model: "m", data: Data(payload).base64EncodedString())
                guard let id = (try? client.call(MemoryAdd.self, .init(namespace: "kv", item: item)))?.id else { return }
                acknowledged.withLock { $0.append(id) }
            }
        }
        writer.start()
        while acknowledged.withLock({ $0.count }) < 5 { usleep(2_000) }
        usleep(150_000)
        d.kill9()
        while !writer.isFinished { usleep(2_000) }
        #expect(acknowledged.withLock { $0.count } < 400, "the kill came after the last add")
        try d.start()
        let client = MemosClient(socketPath: d.socket)
        let memories = try client.call(MemoryList.self, .init(namespace: "kv", limit: 1000)).memories
        #expect(Set(acknowledged.withLock { $0 }).isSubset(of: Set(memories.map(\.id))))
        let named = Set(memories.compactMap { $0.content?.sha256 })
        #expect(named.count == memories.count)
        var onDisk = Set<String>()
        let blobs = d.directory + "/data/blobs"
        for prefix in try FileManager.default.contentsOfDirectory(atPath: blobs) where prefix.count == 2 {
            for rest in try FileManager.default.contentsOfDirectory(atPath: blobs + "/" + prefix) { onDisk.insert(prefix + rest) }
        }
        #expect(onDisk == named)
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs + "/tmp").isEmpty)
        if let last = memories.first {
            let back = try client.call(MemoryGet.self, .init(namespace: "kv", id: last.id, includeData: true))
            #expect(back.data.flatMap { Data(base64Encoded: $0) }.map { SHA256.hex([UInt8]($0)) } == last.content?.sha256)
        }
    }

    /// A fake model runner: subscribes on one connection, receives the
    /// materialize job for a memory that became hot, adds the snapshot on a
    /// second connection and reports it. A first runner that ignores its job
    /// shows the timeout and the retry; an update makes the snapshot stale.
    @Test func aFakeRunnerCompletesAMaterializeJob() throws {
        let d = try LiveDaemon(extra: ["--job-timeout-seconds", "0.2", "--tick-seconds", "3600"])
        let client = MemosClient(socketPath: d.socket)
        let source = try #require(try client.call(MemoryAdd.self, .init(namespace: "r", item: .init(text: "Caroline moved to Berlin"))).id)

        // A runner that takes the job and never answers.
        let idle = try SocketIO.connect(path: d.socket)
        var idleReader = LineReader(fd: idle, maxFrameBytes: 1 << 20)
        try SocketIO.writeAll(idle, Array(#"{"jsonrpc":"2.0","id":1,"method":"scheduler.subscribe","params":{"models":["fake-llm"],"name":"idle"}}"#.utf8) + [10])
        _ = try idleReader.next()  // the subscribe reply

        _ = try client.call(SchedulerTouch.self, .init(namespace: "r", ids: [source, source, source]))
        _ = try client.call(SchedulerTick.self, NoParams())
        guard case .line(let firstJob) = try idleReader.next() else { Issue.record("no job"); return }
        let job = try JSONDecoder().decode(JSONValue.self, from: Data(firstJob))
        #expect(job["method"] == "scheduler.job")
        let jobID = try #require(job["params"]?["job_id"]?.stringValue)
        #expect(job["params"]?["memories"] == [["id": .string(source), "version": 1, "text": "Caroline moved to Berlin"]])
        #expect(job["params"]?["attempt"] == 1)

        // The working runner connects; after the timeout the job comes to it.
        let runner = try SocketIO.connect(path: d.socket)
        defer { SocketIO.close(runner) }
        var reader = LineReader(fd: runner, maxFrameBytes: 1 << 20)
        try SocketIO.writeAll(runner, Array(#"{"jsonrpc":"2.0","id":1,"method":"scheduler.subscribe","params":{"models":["fake-llm"],"name":"fake"}}"#.utf8) + [10])
        _ = try reader.next()
        SocketIO.close(idle)  // the idle runner goes away too: its job is dispatched again at once
        usleep(250_000)  // past the 0.2 s deadline (the in-process clock test: SchedulerAPITests)
        _ = try client.call(SchedulerTick.self, NoParams())
        guard case .line(let retried) = try reader.next() else { Issue.record("no retry"); return }
        let again = try JSONDecoder().decode(JSONValue.self, from: Data(retried))
        #expect(again["params"]?["job_id"]?.stringValue == jobID)
        #expect(again["params"]?["attempt"] == 2)

        // It computes the snapshot, adds it, reports.
        let item = MemoryAdd.Item(
            text: "KV of: Caroline moved to Berlin", kind: "activation", format: "safetensors", model: "fake-llm",
            data: Data(Self.kvPayload(seed: 7)).base64EncodedString(), derivedFrom: [source])
        let snapshot = try #require(try client.call(MemoryAdd.self, .init(namespace: "r", item: item)).id)
        let done = try client.call(SchedulerComplete.self, .init(jobID: jobID, id: snapshot))
        #expect(done.state == "done")
        let status = try client.call(SchedulerStatus.self, .init())
        #expect(status.jobs["done"] == 1 && status.runners == 1)

        // The source changes: its snapshot is stale and leaves for the archive.
        _ = try client.call(MemoryUpdate.self, .init(namespace: "r", id: source, text: "Caroline moved to Munich"))
        let stale = try client.call(MemoryGet.self, .init(namespace: "r", id: snapshot)).memory
        #expect(stale?.tier == "archive")
        let events = try client.call(SchedulerStatus.self, .init(events: 1)).events
        #expect(events.first?.reason.hasPrefix("stale") == true)
    }

    /// A 256 KiB KV snapshot in the memos layout, different for every seed.
    static func kvPayload(seed: Int) -> [UInt8] {
        let tokens = 512, headDim = 64
        var writer = SafeTensorsWriter()
        for part in ["key", "value"] {
            writer.add("layers.0.\(part)", shape: [1, tokens, headDim], floats: (0..<(tokens * headDim)).map { Float($0 % 97 + seed) })
        }
        return writer.bytes()
    }

    @Test func oversizedFrameIsRejectedAndTheConnectionLives() throws {
        let d = try LiveDaemon()
        d.kill9()
        try d.start(extra: ["--max-frame-bytes", "1024"])
        let client = MemosClient(socketPath: d.socket)
        let big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"memory.add\",\"params\":{\"namespace\":\"n\",\"text\":\"" + String(repeating: "x", count: 200_000) + "\"}}"
        let reply = try client.send(Data(big.utf8))
        let response = try JSONDecoder().decode(RPCResponse<NoParams>.self, from: Data(reply))
        #expect(response.error?.code == ErrorCode.payloadTooLarge.rawValue)
        #expect(try client.call(SystemHealth.self, NoParams()).status == "ok")
        #expect(try client.call(MemoryList.self, .init(namespace: "n")).memories.isEmpty)
    }

    @Test func secondDaemonIsRefusedAndSigtermCleansUp() throws {
        let d = try LiveDaemon()
        let second = Process()
        second.executableURL = URL(fileURLWithPath: binDirectory + "/memosd")
        second.arguments = ["--data-dir", d.directory + "/data2", "--socket", d.socket, "--log-level", "error", "--embedder", "hashing"]
        second.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus == 1)
        #expect(try MemosClient(socketPath: d.socket).call(SystemHealth.self, NoParams()).status == "ok")
        let mode = try FileManager.default.attributesOfItem(atPath: d.socket)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(d.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: d.socket))
    }

    @Test func oneDataDirectoryHasOneDaemonAndItsFilesArePrivate() throws {
        let d = try LiveDaemon()
        _ = try MemosClient(socketPath: d.socket).call(MemoryAdd.self, .init(namespace: "ns", item: .init(text: "private")))
        // Another socket, the same data directory: refused, and the first goes on.
        let second = Process()
        second.executableURL = URL(fileURLWithPath: binDirectory + "/memosd")
        second.arguments = ["--data-dir", d.directory + "/data", "--socket", d.directory + "/other.sock", "--log-level", "error", "--embedder", "hashing"]
        let err = Pipe()
        second.standardError = err
        try second.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        second.waitUntilExit()
        #expect(second.terminationStatus == 1)
        #expect(message.contains("already using the data directory"))
        #expect(try MemosClient(socketPath: d.socket).call(SystemHealth.self, NoParams()).status == "ok")
        #expect(d.terminate() == 0)
        // Files left readable by others (an old version, a copy, a umask) are made private at start.
        let data = d.directory + "/data"
        chmod(data, 0o755)
        chmod(data + "/memos.db", 0o644)
        try d.start()
        let mode = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }
        #expect(mode(data) == 0o700)
        #expect(mode(data + "/memos.db") == 0o600)
        for file in try FileManager.default.contentsOfDirectory(atPath: data) where !file.hasSuffix(".sock") {
            #expect(mode(data + "/" + file) & 0o077 == 0, "\(file) is \(String(mode(data + "/" + file), radix: 8))")
        }
        #expect(d.terminate() == 0)
    }

    @Test func manyClientsAtOnce() throws {
        let d = try LiveDaemon()
        let socket = d.socket
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let client = MemosClient(socketPath: socket)
            for i in 0..<25 {
                _ = try? client.call(MemoryAdd.self, .init(namespace: "many", item: .init(text: "worker \(worker) note \(i)")))
            }
        }
        let client = MemosClient(socketPath: socket)
        let page = try client.call(MemoryList.self, .init(namespace: "many", limit: 1000))
        #expect(page.memories.count == 200)
    }

    @Test func helpTextIsExactlyThis() throws {
        let d = try LiveDaemon()
        let help = try d.memctl(["help", "forget"])
        #expect(help.status == 0)
        // The text itself is checked in MemCtlKitTests; the binary prints exactly it.
        #expect(help.out == (Commands.named("forget")?.helpText ?? "-") + "\n")
        #expect(try d.memctl(["forget", "--help"]).out == help.out)
    }

    @Test(.enabled(if: modelInstalled, "the MiniLM weights are not installed: run `make model`"))
    func changingTheEmbedderReembedsInTheBackground() throws {
        let d = try LiveDaemon()
        let client = MemosClient(socketPath: d.socket)
        let texts = [
            "I adopted a golden retriever puppy named Max", "The quarterly budget review is on Friday",
            "My sister lives in Lisbon and teaches chemistry", "I am allergic to peanuts",
        ] + (0..<40).map { "filler note number \($0) about nothing in particular" }
        _ = try client.call(MemoryAdd.self, .init(namespace: "switch", items: texts.map { MemoryAdd.Item(text: $0) }))
        #expect(d.terminate() == 0)

        try d.start(embedder: "minilm")
        let reader = MemosClient(socketPath: d.socket)
        let status = try reader.call(SystemReindex.self, .init(wait: true))
        #expect(status.pending == 0)
        #expect(status.embedder == "minilm-l6-v2")
        let stats = try reader.call(SystemStats.self, NoParams())
        #expect(stats.indexedVectors == texts.count)
        // Meaning, not words: no query word appears in the memory.
        let hits = try reader.call(MemoryRecall.self, .init(namespace: "switch", query: "what kind of pet do I own?", k: 3, weights: ["keyword": 0])).hits
        #expect(hits.first?.text == "I adopted a golden retriever puppy named Max")
        #expect(try d.memctl(["reindex"]).out.contains("up to date"))
    }

    @Test func missingModelIsAClearStartupError() throws {
        let d = try LiveDaemon()
        #expect(d.terminate() == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDirectory + "/memosd")
        process.arguments = ["--data-dir", d.directory + "/data", "--socket", d.socket, "--model-dir", d.directory + "/no-model"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("make model"))
    }
}

let modelInstalled: Bool = {
    let directory = DefaultPaths.modelDirectory(environment: ProcessInfo.processInfo.environment)
    return MiniLMEmbedder.requiredFiles.allSatisfy { FileManager.default.fileExists(atPath: directory + "/" + $0) }
}()
