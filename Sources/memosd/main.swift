import Foundation
import MemServer

// Files memosd creates (database, WAL, blobs, socket) are its user's alone.
// Set once, first, while this is the only thread: umask is process-wide.
umask(0o077)

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch try DaemonConfig.parse(arguments, environment: ProcessInfo.processInfo.environment) {
    case .help: print(DaemonConfig.usage)
    case .version: print("memosd \(MemoryService.version)")
    case .run(let config): exit(Daemon.run(config))
    }
} catch {
    FileHandle.standardError.write(Data("memosd: \(error)\n".utf8))
    exit(64)
}
