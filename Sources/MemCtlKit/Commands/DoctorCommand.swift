import Foundation
import MemAPI
#if canImport(Glibc)
import Glibc
#endif

// memctl doctor.
extension Commands {
    static let doctor = Command(
        name: "doctor", summary: "Check the socket, the data, its permissions and the model; say what to fix.",
        about: """
            memctl checks what it can see itself (the socket, the model files),
            then asks memosd to check its data: schema version, SQLite
            integrity_check, payload files (memories whose file is missing are
            listed as damaged), the data directory's permissions, the embedder.
            Each line is ok or what to do; the exit code is 1 when any is not ok.
            """,
        usage: "doctor",
        options: []
    ) { _, session in
        typealias Check = SystemDoctor.Check
        var checks: [Check] = []
        var damaged: [SystemDoctor.Damaged] = []
        let socket = session.client.socketPath
        var info = stat()
        if lstat(socket, &info) != 0 {
            checks.append(Check(check: "socket", ok: false, detail: "\(socket) does not exist",
                                fix: "start memosd (make run), or point --socket / MEMOS_SOCKET at its socket"))
        } else if info.st_mode & S_IFMT != S_IFSOCK {
            checks.append(Check(check: "socket", ok: false, detail: "\(socket) is not a socket", fix: "remove it, or choose another --socket"))
        } else {
            do {
                let health = try session.client.call(SystemHealth.self, NoParams())
                checks.append(Check(check: "socket", ok: true, detail: "memosd \(health.version) answers at \(socket), up \(Int(health.uptimeSeconds)) s"))
                let report = try session.client.call(SystemDoctor.self, NoParams())
                checks += report.checks
                damaged = report.damaged
            } catch let error as ClientError {
                checks.append(Check(check: "socket", ok: false, detail: "\(error)", fix: "start memosd, or check who serves \(socket)"))
            }
        }
        let environment = ProcessInfo.processInfo.environment
        let modelDirectory = DefaultPaths.modelDirectory(environment: environment)
        let missing = DefaultPaths.modelFiles.filter { !FileManager.default.isReadableFile(atPath: modelDirectory + "/" + $0) }
        checks.append(missing.isEmpty
            ? Check(check: "model", ok: true, detail: "all-MiniLM-L6-v2 in \(modelDirectory)")
            : Check(check: "model", ok: false, detail: "\(modelDirectory) lacks \(missing.joined(separator: ", "))",
                    fix: "run `make model` (needed for the default --embedder minilm; not for hashing or http)"))
        let result = SystemDoctor.Result(checks: checks, damaged: damaged)
        if session.json {
            print(Output.json(result))
        } else {
            for check in checks {
                print((check.ok ? "ok    " : "FIX   ") + check.check.padding(12) + check.detail)
                if let fix = check.fix, !check.ok { print("      " + "".padding(12) + "→ " + fix) }
            }
            for memory in damaged { print("      damaged: \(memory.namespace) \(memory.id) (payload \(memory.blob.prefix(12))…)") }
        }
        if checks.contains(where: { !$0.ok }) { throw DoctorFailed() }
    }
}

/// `memctl doctor` found something to fix: exit code 1, the lines said what.
struct DoctorFailed: Error {}
