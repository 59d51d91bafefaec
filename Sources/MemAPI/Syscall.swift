#if canImport(Glibc)
import Glibc
#endif

/// The one wrapper every socket and file-descriptor syscall of memos goes
/// through (client and daemon): it retries EINTR and reads errno at once,
/// before anything else can overwrite it, into a `SocketError` naming the
/// call (as swift-nio's syscall wrapper does).
public enum Syscall {
    /// Runs `call` until it is not interrupted; a result of -1 throws with its errno.
    /// `run` as a `Result`, for calls made inside a buffer's closure.
    public static func result<T: FixedWidthInteger & SignedInteger>(_ operation: String, _ call: () -> T) -> Result<T, SocketError> {
        Result { () throws(SocketError) -> T in try run(operation, call) }
    }

    @discardableResult
    public static func run<T: FixedWidthInteger & SignedInteger>(
        _ operation: String, path: String? = nil, _ call: () -> T
    ) throws(SocketError) -> T {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SocketError(operation, code: code, path: path)
        }
    }
}
