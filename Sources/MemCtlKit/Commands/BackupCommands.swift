import Foundation
import MemAPI
import MemJSON
import MemStore

// memctl backup, restore.
extension Commands {
    static let backup = Command(
        name: "backup", summary: "Back the store up online into a new or empty directory.",
        about: """
            memosd copies the database with SQLite's online backup API (one
            consistent snapshot; writes go on meanwhile) and every payload file
            that snapshot names, then writes manifest.json with each file's size
            and SHA-256. `memctl restore DIR --data-dir PATH` brings it back.
            """,
        usage: "backup DIR",
        options: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("backup takes one directory") }
        let r = try session.call(SystemBackup.self, .init(dir: absolute(args.positionals[0])))
        if !session.json { print("backed up \(r.memories) memories into \(r.dir): \(r.files) files, \(bytes(r.bytes)), schema \(r.schemaVersion)") }
    }

    static let restore = Command(
        name: "restore", summary: "Restore a backup into a new data directory (memosd not running on it).",
        about: """
            Checks every file of the backup against its manifest, copies them
            into PATH (which must not exist or be empty; files 0600), and runs
            SQLite's integrity_check on the result. Then start memosd with
            --data-dir PATH. Needs no running memosd.
            """,
        usage: "restore DIR --data-dir PATH",
        options: [
            Option("--data-dir", "PATH", "the new data directory (required)"),
        ]
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("restore takes one backup directory") }
        guard let target = args.value("--data-dir") else { throw UsageError("restore needs --data-dir PATH (a new or empty directory)") }
        let manifest = try Backup.restore(from: args.positionals[0], to: target)  // a BackupError says what is wrong
        if session.json {
            print(Output.json(JSONValue.object(["data_dir": .string(target), "memories": .int(Int64(manifest.memories)),
                               "files": .int(Int64(manifest.files.count)), "bytes": .int(manifest.bytes)])))
        } else {
            print("restored \(manifest.memories) memories (\(manifest.files.count) files, \(bytes(manifest.bytes))) into \(target); start memosd --data-dir \(target)")
        }
    }

    /// A path made absolute against memctl's working directory (memosd has another).
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
