import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A stored blob: its SHA-256 (hex) and size.
public struct BlobRef: Sendable, Hashable, Codable {
    public var sha256: String
    public var size: Int64

    public init(sha256: String, size: Int64) {
        self.sha256 = sha256
        self.size = size
    }
}

public struct BlobError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The errno of the failed call, when one failed (0 otherwise).
    public var code: Int32

    public init(_ description: String, code: Int32 = 0) {
        self.description = description
        self.code = code
    }

    /// `what` failed with the errno just set: "cannot write x: No space left on device".
    static func system(_ what: String) -> BlobError {
        let code = errno
        return BlobError("\(what): \(String(cString: strerror(code)))", code: code)
    }

    /// A blob a row names is not on disk.
    static func missing(_ sha256: String, root: String) -> BlobError {
        BlobError("payload file \(sha256) is missing from \(root)", code: ENOENT)
    }

    /// The blob's file is not there (ENOENT).
    public var isMissing: Bool { code == ENOENT }

    /// The disk (or the user's quota) is full.
    public var isStorageFull: Bool { code == ENOSPC || code == EDQUOT }
}

/// Content-addressed files: `<root>/ab/cdef…` named by the SHA-256 of their
/// bytes, so identical content is stored once.
///
/// A write goes to `<root>/tmp/` first, is fsynced, renamed into place and
/// the directory fsynced; only then may a database row point to it. A crash
/// leaves at worst a temp file or a blob no row names, which `collect`
/// removes. Thread-safe: concurrent puts of the same content both end with
/// one file.
public final class BlobStore: Sendable {
    public let root: String
    var tempDirectory: String { root + "/tmp" }
    /// Payloads held in RAM (the working tier's activations), with how many holders each.
    private let held = Mutex<[String: (bytes: [UInt8], holders: Int)]>([:])
    /// Backups copying blobs right now: no blob is collected meanwhile.
    private let copiers = Atomic<Int>(0)

    public init(root: String) throws {
        self.root = root
        for directory in [root, root + "/tmp"] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw BlobError.system("cannot create \(directory)")
            }
        }
    }

    public func path(of sha256: String) -> String {
        root + "/" + sha256.prefix(2) + "/" + sha256.dropFirst(2)
    }

    public func exists(_ sha256: String) -> Bool { access(path(of: sha256), F_OK) == 0 }

    /// Stores `bytes`.
    public func put(_ bytes: [UInt8]) throws -> BlobRef {
        try store { write in try bytes.withUnsafeBytes { try write($0) } }
    }

    /// Stores the contents of the file at `source`, streamed (hashed while
    /// copied), refusing one of more than `maxBytes` (by its size, and by
    /// what is read should it grow meanwhile). Opened non-blocking, so a FIFO
    /// cannot hang the caller; only a regular file is read.
    public func put(contentsOf source: String, maxBytes: Int64 = .max) throws -> BlobRef {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard input >= 0 else { throw BlobError.system("cannot open \(source)") }
        defer { close(input) }
        return try put(reading: input, name: source, maxBytes: maxBytes)
    }

    /// Stores what can be read from `input` (an open regular file; `name`
    /// is how errors call it), refusing more than `maxBytes`.
    public func put(reading input: Int32, name source: String, maxBytes: Int64 = .max) throws -> BlobRef {
        var info = stat()
        guard fstat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw BlobError("\(source) is not a regular file")
        }
        guard Int64(info.st_size) <= maxBytes else {
            throw BlobError("\(source) is \(info.st_size) bytes; payloads may be at most \(maxBytes) bytes (memosd --max-payload-mb)")
        }
        return try store { write in
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var total: Int64 = 0
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BlobError.system("cannot read \(source)")
                }
                if n == 0 { return }
                total += Int64(n)
                guard total <= maxBytes else {
                    throw BlobError("\(source) grew past \(maxBytes) bytes while it was read (memosd --max-payload-mb)")
                }
                try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        }
    }

    /// Writes through `produce` into a temp file while hashing, then moves it into place.
    private func store(_ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> BlobRef {
        let temp = tempDirectory + "/" + UUID().uuidString
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BlobError.system("cannot create \(temp)") }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            defer { close(fd) }
            try produce { bytes in
                hasher.update(bytes)
                size += Int64(bytes.count)
                try Self.writeAll(fd, bytes, path: temp)
            }
            guard fsync(fd) == 0 else { throw BlobError.system("cannot sync \(temp)") }
        } catch {
            unlink(temp)
            throw error
        }
        let sha = SHA256.hex(digest: hasher.finalize())
        let final = path(of: sha)
        let directory = root + "/" + sha.prefix(2)
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            unlink(temp)
            throw BlobError.system("cannot create \(directory)")
        }
        if exists(sha) {
            unlink(temp)  // the same content is already stored:
            utimes(final, nil)  // refreshed, so a collection running now keeps it
        } else {
            guard rename(temp, final) == 0 else {
                let error = BlobError.system("cannot move the blob into place")
                unlink(temp)
                throw error
            }
            try Self.syncDirectory(directory)
        }
        return BlobRef(sha256: sha, size: size)
    }

    /// Keeps a blob's bytes in RAM until as many `release`s.
    public func hold(_ sha256: String) throws {
        if held.withLock({ held in
            guard held[sha256] != nil else { return false }
            held[sha256]!.holders += 1
            return true
        }) { return }
        let bytes = try readFile(sha256)
        held.withLock { held in
            if held[sha256] != nil { held[sha256]!.holders += 1 } else { held[sha256] = (bytes, 1) }
        }
    }

    public func release(_ sha256: String) {
        held.withLock { held in
            guard let entry = held[sha256] else { return }
            if entry.holders <= 1 { held[sha256] = nil } else { held[sha256]!.holders -= 1 }
        }
    }

    /// Blobs held in RAM and their bytes.
    public var heldUsage: (count: Int, bytes: Int) {
        held.withLock { held in (held.count, held.values.reduce(0) { $0 + $1.bytes.count }) }
    }

    /// The whole content of a blob (from RAM when held).
    public func read(_ sha256: String) throws -> [UInt8] {
        if let bytes = held.withLock({ $0[sha256]?.bytes }) { return bytes }
        return try readFile(sha256)
    }

    private func readFile(_ sha256: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(of: sha256)) else {
            throw BlobError.missing(sha256, root: root)
        }
        return [UInt8](data)
    }

    /// Writes a blob's bytes to `output` (an open file; `name` for errors).
    public func copy(_ sha256: String, to output: Int32, name destination: String) throws {
        let input = open(path(of: sha256), O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw BlobError.missing(sha256, root: root) }
        defer { close(input) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BlobError.system("cannot read blob \(sha256)")
            }
            if n == 0 { return }
            try chunk.withUnsafeBytes { try Self.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<n]), path: destination) }
        }
    }

    /// Copies a blob to `destination` (written beside it, then renamed: the
    /// file appears whole or not at all).
    public func export(_ sha256: String, to destination: String) throws {
        let temp = destination + ".memos-" + UUID().uuidString.prefix(8)
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw BlobError.system("cannot write \(destination)") }
        do {
            defer { close(output) }
            try copy(sha256, to: output, name: destination)
            guard fsync(output) == 0 else { throw BlobError.system("cannot sync \(destination)") }
        } catch {
            unlink(temp)
            throw error
        }
        guard rename(temp, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw BlobError("cannot write \(destination): \(reason)")
        }
    }

    /// Every stored blob's hash.
    public func all() -> [String] {
        var found: [String] = []
        let manager = FileManager.default
        for prefix in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where prefix.count == 2 {
            for rest in (try? manager.contentsOfDirectory(atPath: root + "/" + prefix)) ?? [] where rest.count == 62 {
                found.append(prefix + rest)
            }
        }
        return found
    }

    /// Removes every blob not in `referenced` and every temp file, once at
    /// least `olderThan` seconds old; returns the hashes removed. A blob an
    /// add is writing or reusing right now is younger than any sane grace.
    @discardableResult
    public func collect(keeping referenced: Set<String>, olderThan: Double = 0) -> [String] {
        collect(keeping: referenced, olderThan: olderThan, tooYoung: nil)
    }

    /// As above; counts in `tooYoung` the unreferenced blobs kept for their age.
    func collect(keeping referenced: Set<String>, olderThan: Double, tooYoung: UnsafeMutablePointer<Int>?) -> [String] {
        if copiers.load(ordering: .acquiring) > 0 {
            tooYoung?.pointee = 1  // try again later
            return []
        }
        let cutoff = Date().timeIntervalSince1970 - olderThan
        func oldEnough(_ path: String) -> Bool {
            var info = stat()
            guard stat(path, &info) == 0 else { return false }
            return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 <= cutoff
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tempDirectory)) ?? [] {
            let temp = tempDirectory + "/" + name
            if oldEnough(temp) { unlink(temp) }
        }
        let unreferenced = all().filter { !referenced.contains($0) }
        let orphans = unreferenced.filter { oldEnough(path(of: $0)) }
        tooYoung?.pointee = unreferenced.count - orphans.count
        for sha in orphans { remove(sha) }
        return orphans.sorted()
    }

    /// Runs `body` with collection paused (a backup copying the blobs its snapshot names).
    public func withCollectionPaused<R>(_ body: () throws -> R) rethrows -> R {
        copiers.add(1, ordering: .acquiringAndReleasing)
        defer { copiers.subtract(1, ordering: .acquiringAndReleasing) }
        return try body()
    }

    public func remove(_ sha256: String) {
        unlink(path(of: sha256))
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw BlobError.system("cannot write \(path)")
            }
            offset += n
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BlobError.system("cannot open \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BlobError.system("cannot sync \(path)") }
    }
}
