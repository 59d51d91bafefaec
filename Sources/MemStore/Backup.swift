import Foundation
import MemCube

/// What a backup directory holds: written last, so a directory with a
/// manifest is a complete backup. Paths are relative to the directory.
public struct BackupManifest: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        public var path: String
        public var size: Int64
        public var sha256: String
    }

    public var format: String
    public var createdAt: String
    public var schemaVersion: Int
    public var memories: Int
    public var files: [File]

    enum CodingKeys: String, CodingKey {
        case format, memories, files
        case createdAt = "created_at", schemaVersion = "schema_version"
    }

    public var bytes: Int64 { files.reduce(0) { $0 + $1.size } }
}

public struct BackupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Backups of a store: the database through SQLite's online backup API (one
/// consistent snapshot while writes go on) and every payload blob that
/// snapshot names, with a manifest of sizes and SHA-256 checksums; and the
/// restore of one into a new data directory, checked against the manifest
/// first and by SQLite's integrity_check after.
///
/// Layout: `memos.db`, `blobs/ab/cdef…` (the data directory's own layout),
/// `manifest.json`.
public enum Backup {
    public static let format = "memos-backup-1"
    public static let manifestName = "manifest.json"
    static let databaseName = "memos.db"

    /// Backs `store` up into `directory`, which must not exist or be empty.
    public static func write(_ store: SQLiteStore, to directory: String, at now: Timestamp) throws -> BackupManifest {
        try makeEmptyDirectory(directory)
        return try store.blobs.withCollectionPaused {
            let database = directory + "/" + databaseName
            try Connection(path: store.path, readOnly: true).backup(into: database)
            let copy = try Connection(path: database, readOnly: true)
            let blobs = try copy.prepare("SELECT DISTINCT blob FROM cubes WHERE blob IS NOT NULL ORDER BY blob").query([]) { $0.text(0) ?? "" }
            let memories = Int(try copy.scalarInt("SELECT count(*) FROM cubes") ?? 0)
            let schema = Int(try copy.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0)
            var files = [try checksum(directory, databaseName)]
            for sha in blobs {
                let relative = blobPath(sha)
                guard FileManager.default.fileExists(atPath: store.blobs.path(of: sha)) else {
                    continue  // a damaged memory: restored damaged, as it is now
                }
                try makeDirectory(directory + "/" + (relative as NSString).deletingLastPathComponent)
                let file = try copyFile(store.blobs.path(of: sha), to: directory + "/" + relative, relative: relative)
                guard file.sha256 == sha else {
                    throw BackupError("payload file \(sha) is corrupt (its content hashes to \(file.sha256)); memctl doctor checks the store")
                }
                files.append(file)
            }
            let manifest = BackupManifest(
                format: format, createdAt: now.iso8601, schemaVersion: schema, memories: memories, files: files)
            try writePrivate(try encoder.encode(manifest), to: directory + "/" + manifestName)
            return manifest
        }
    }

    /// Checks every file of a backup against its manifest.
    public static func verify(_ directory: String) throws -> BackupManifest {
        guard let data = FileManager.default.contents(atPath: directory + "/" + manifestName) else {
            throw BackupError("\(directory) has no \(manifestName): not a memos backup, or one that did not finish")
        }
        let manifest: BackupManifest
        do { manifest = try JSONDecoder().decode(BackupManifest.self, from: data) } catch {
            throw BackupError("\(directory)/\(manifestName) is not a backup manifest: \(error)")
        }
        guard manifest.format == format else { throw BackupError("\(directory) is a \(manifest.format) backup; this memos reads \(format)") }
        for file in manifest.files {
            guard !file.path.hasPrefix("/"), !file.path.split(separator: "/").contains("..") else {
                throw BackupError("the manifest names \(file.path), outside the backup")
            }
            let actual = try checksum(directory, file.path)
            guard actual.size == file.size, actual.sha256 == file.sha256 else {
                throw BackupError("\(file.path) does not match the manifest (size \(actual.size), expected \(file.size)): the backup is damaged")
            }
        }
        return manifest
    }

    /// Restores a backup into `dataDirectory` (must not exist or be empty;
    /// memosd must not be running on it): checks it first, copies, and runs
    /// SQLite's integrity_check on the result.
    public static func restore(from backup: String, to dataDirectory: String) throws -> BackupManifest {
        let manifest = try verify(backup)
        try makeEmptyDirectory(dataDirectory)
        for file in manifest.files {
            try makeDirectory(dataDirectory + "/" + (file.path as NSString).deletingLastPathComponent)
            let copied = try copyFile(backup + "/" + file.path, to: dataDirectory + "/" + file.path, relative: file.path)
            guard copied.sha256 == file.sha256 else { throw BackupError("\(file.path) changed while it was restored") }
        }
        let problems = try Connection(path: dataDirectory + "/" + databaseName, readOnly: true)
            .prepare("PRAGMA integrity_check").query([]) { $0.text(0) ?? "" }
        guard problems == ["ok"] else { throw BackupError("the restored database fails integrity_check: \(problems.prefix(3).joined(separator: "; "))") }
        return manifest
    }

    static func blobPath(_ sha: String) -> String { "blobs/" + sha.prefix(2) + "/" + sha.dropFirst(2) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Creates `path` (0700) or accepts it when it is an empty directory.
    static func makeEmptyDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw BackupError("\(path) is a file, not a directory") }
            guard (try FileManager.default.contentsOfDirectory(atPath: path)).isEmpty else {
                throw BackupError("\(path) is not empty; give a new or empty directory")
            }
            return
        }
        try makeDirectory(path)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BackupError("cannot create \(path): \(error.localizedDescription)")
        }
    }

    static func writePrivate(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw BackupError("cannot write \(path)")
        }
    }

    /// The size and SHA-256 of `root/relative`, streamed.
    static func checksum(_ root: String, _ relative: String) throws -> BackupManifest.File {
        try stream(root + "/" + relative, relative: relative) { _ in }
    }

    /// Copies `source` to `destination` (0600), hashing on the way.
    static func copyFile(_ source: String, to destination: String, relative: String) throws -> BackupManifest.File {
        guard FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: destination)
        else { throw BackupError("cannot create \(destination)") }
        defer { try? output.close() }
        let file = try stream(source, relative: relative) { chunk in try output.write(contentsOf: chunk) }
        try output.synchronize()
        return file
    }

    static func stream(_ path: String, relative: String, _ each: (Data) throws -> Void) throws -> BackupManifest.File {
        guard let input = FileHandle(forReadingAtPath: path) else { throw BackupError("cannot read \(path)") }
        defer { try? input.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
            size += Int64(chunk.count)
            try each(chunk)
        }
        return BackupManifest.File(path: relative, size: size, sha256: SHA256.hex(digest: hasher.finalize()))
    }
}
