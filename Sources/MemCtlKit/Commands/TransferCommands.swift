import Foundation
import MemAPI
import MemJSON

// memctl export, import.
extension Commands {
    static let export = Command(
        name: "export", summary: "Write a namespace as JSON Lines: every memory, version, link and payload.",
        about: """
            One JSON object per line: a header, then each memory (its stored
            fields, every version with its provenance, its entities, its payload
            in base64), then the links between them. `memctl import` stores them
            again with the same ids and histories; an export of that import is
            byte for byte the same file (docs/transfer.md).
            """,
        usage: "export [--out FILE] [--no-payloads]",
        options: [
            Option("--out", "FILE", "write to FILE (default: standard output)"),
            Option("--no-payloads", "leave activation and parameter payloads out"),
        ]
    ) { args, session in
        let output: FileHandle
        if let path = args.value("--out") {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: path)
            else { throw UsageError("cannot write \(path)") }
            output = handle
        } else {
            output = FileHandle.standardOutput
        }
        var cursor: String?, memories = 0, links = 0
        repeat {
            let page = try session.client.call(MemoryExport.self, .init(
                namespace: session.namespace, cursor: cursor, payloads: args.has("--no-payloads") ? false : nil))
            var text = ""
            for record in page.records {
                text += Output.json(record) + "\n"
                switch record["type"] {
                case "memory": memories += 1
                case "link": links += 1
                default: break
                }
            }
            try output.write(contentsOf: Data(text.utf8))
            cursor = page.cursor
        } while cursor != nil
        if args.value("--out") != nil {
            try output.close()
            printErr("exported \(memories) memories and \(links) links of \(session.namespace) to \(args.value("--out") ?? "")")
        }
    }

    static let importCommand = Command(
        name: "import", summary: "Store memories from `memctl export` JSON Lines, or from a Mem0 export.",
        about: """
            memos records keep their ids, versions, provenance, links and
            payloads; memories already stored are skipped, so importing twice
            is harmless. They go into -n NS, else the namespace the export names.
            --format mem0 reads Mem0's export (a JSON list, {"results": [...]}
            or {"memories": [...]}, or JSON Lines): each memory's user_id
            becomes its namespace (unless -n is given), agent_id its agent,
            run_id its session, metadata its attributes; its Mem0 id is kept,
            so a second import skips it.
            """,
        usage: "import FILE|- [--format memos|mem0]",
        options: [
            Option("--format", "FORMAT", "memos (default) or mem0"),
        ]
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("import takes one FILE, or - for standard input") }
        let path = args.positionals[0]
        let data: Data
        if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
            guard let contents = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read \(path)") }
            data = contents
        }
        let format = args.value("--format") ?? "memos"
        guard format == "memos" || format == "mem0" else { throw UsageError("--format must be memos or mem0 (got '\(format)')") }
        let records = try readRecords(data, mem0: format == "mem0")
        let explicit = args.value("--namespace") ?? ProcessInfo.processInfo.environment["MEMOS_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
        // Each record's namespace: -n, else the export's (memos) or the user_id (Mem0).
        var groups: [(String, [JSONValue])] = []
        var header: String?
        for record in records {
            var namespace = explicit ?? session.namespace
            if explicit == nil {
                if format == "memos", record["type"] == "header", let named = record["namespace"]?.stringValue { header = named }
                if format == "memos", let header { namespace = header }
                if format == "mem0", let user = record["user_id"]?.stringValue, !user.isEmpty { namespace = user }
            }
            if groups.last?.0 == namespace { groups[groups.count - 1].1.append(record) } else { groups.append((namespace, [record])) }
        }
        var total = MemoryImport.Result(imported: 0, skipped: 0, links: 0, linksSkipped: 0, ids: [])
        for (namespace, list) in groups {
            for batch in batches(list) {
                let r = try session.client.call(MemoryImport.self, .init(namespace: namespace, records: batch, format: format))
                total.imported += r.imported
                total.skipped += r.skipped
                total.links += r.links
                total.linksSkipped += r.linksSkipped
                total.ids += r.ids
            }
        }
        if session.json { print(Output.json(total)); return }
        let namespaces = Set(groups.map(\.0)).sorted().joined(separator: ", ")
        print("imported \(total.imported) memories into \(namespaces) (\(total.skipped) already there), \(total.links) links" +
              (total.linksSkipped > 0 ? " (\(total.linksSkipped) skipped: an end is missing)" : ""))
    }

    /// JSON Lines, or one JSON document (a list, or Mem0's {"results"|"memories": [...]}).
    static func readRecords(_ data: Data, mem0: Bool) throws -> [JSONValue] {
        if let document = try? JSONReader.parse(Array(data)) {
            switch document {
            case .array(let list): return list
            case .object(let object) where mem0:
                for key in ["results", "memories"] { if case .array(let list)? = object[key] { return list } }
                return [document]
            default: return [document]
            }
        }
        var records: [JSONValue] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do { records.append(try JSONReader.parse(Array(line))) } catch {
                throw UsageError("line \(number + 1) is not JSON (at byte \(error.offset): \(error.reason))")
            }
        }
        return records
    }

    /// Requests of at most 500 records and about 2 MiB, so each fits memosd's frame limit.
    static func batches(_ records: [JSONValue]) -> [[JSONValue]] {
        var result: [[JSONValue]] = [[]], bytes = 0
        for record in records {
            let size = Output.json(record).utf8.count
            if !result[result.count - 1].isEmpty, result[result.count - 1].count >= 500 || bytes + size > 2 << 20 {
                result.append([])
                bytes = 0
            }
            result[result.count - 1].append(record)
            bytes += size
        }
        return result.filter { !$0.isEmpty }
    }
}
