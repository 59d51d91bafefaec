import Foundation
import MemCtlKit

// memctl: the command line for memosd. Everything but this call lives in MemCtlKit.
exit(CLI.main(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
