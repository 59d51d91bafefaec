import Foundation
import MemAPI
import MemCube
import MemStore

/// system.doctor: what memosd can check of its own data.
extension MemoryService {
    func doctor(_ params: NoParams, _ context: RequestContext) throws -> SystemDoctor.Result {
        typealias Check = SystemDoctor.Check
        var checks: [Check] = []
        let schema = try store.schemaVersion()
        checks.append(schema.current == schema.supported
            ? Check(check: "schema", ok: true, detail: "version \(schema.current), the newest this memosd knows")
            : Check(check: "schema", ok: false, detail: "version \(schema.current) of \(schema.supported)",
                    fix: "restart memosd: it migrates the database at start"))
        let integrity = try store.checkIntegrity()
        checks.append(integrity == ["ok"]
            ? Check(check: "integrity", ok: true, detail: "SQLite integrity_check: ok")
            : Check(check: "integrity", ok: false, detail: integrity.prefix(5).joined(separator: "; "),
                    fix: "stop memosd and restore the latest backup (memctl restore DIR --data-dir PATH)"))
        let damaged = try store.checkPayloadFiles()
        checks.append(damaged.isEmpty
            ? Check(check: "payloads", ok: true, detail: "every payload file a memory names is present")
            : Check(check: "payloads", ok: false, detail: damaged.count == 1 ? "1 memory is damaged: its payload file is missing" : "\(damaged.count) memories are damaged: their payload files are missing",
                    fix: "restore the data directory from a backup (memctl restore), or forget the damaged memories"))
        let loose = DataDirectory.widerThanPrivate(dataDirectory)
        checks.append(loose.isEmpty
            ? Check(check: "permissions", ok: true, detail: "\(dataDirectory) is 0700 and its files 0600")
            : Check(check: "permissions", ok: false, detail: "\(loose.count) paths others may read, e.g. \(loose[0].path)",
                    fix: "restart memosd (it makes the data directory private at start) or chmod go-rwx them"))
        checks.append(Check(check: "embedder", ok: true, detail: "\(embedder.id) loaded (\(embedder.dimension) dimensions)"))
        return SystemDoctor.Result(
            checks: checks,
            damaged: damaged.prefix(1000).map { .init(namespace: $0.namespace, id: $0.id.rawValue, blob: $0.blob) })
    }
}

/// system.backup: the store writes it (MemStore's `Backup`); here the directory is checked.
extension MemoryService {
    func backup(_ params: SystemBackup.Params, _ context: RequestContext) throws -> SystemBackup.Result {
        let directory = params.dir
        guard directory.hasPrefix("/"), directory.utf8.count <= 4096, !directory.contains("\0") else {
            throw ValidationError(field: "dir", "must be an absolute path (memctl makes a relative one absolute)")
        }
        let resolved = Self.resolvedExistingPrefix(directory)
        let data = Self.resolvedExistingPrefix(dataDirectory)
        if resolved == data || resolved.hasPrefix(data + "/") {
            throw ValidationError(field: "dir", "is inside memosd's data directory (\(dataDirectory)); back up somewhere else")
        }
        do {
            let manifest = try store.backup(to: directory, at: context.now)
            return SystemBackup.Result(
                dir: directory, memories: manifest.memories, files: manifest.files.count, bytes: manifest.bytes,
                schemaVersion: manifest.schemaVersion, createdAt: manifest.createdAt)
        } catch let error as BackupError {
            throw ValidationError(field: "dir", error.description)
        }
    }

    /// `path` with its longest existing prefix resolved (symlinks, `..`).
    static func resolvedExistingPrefix(_ path: String) -> String {
        var head = (path as NSString).standardizingPath
        var tail: [String] = []
        while head != "/", !FileManager.default.fileExists(atPath: head) {
            tail.insert((head as NSString).lastPathComponent, at: 0)
            head = (head as NSString).deletingLastPathComponent
        }
        let real = (head as NSString).resolvingSymlinksInPath
        guard !tail.isEmpty else { return real }
        return (real == "/" ? "" : real) + "/" + tail.joined(separator: "/")
    }
}
