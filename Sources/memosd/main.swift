import Foundation
import MemServer

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
