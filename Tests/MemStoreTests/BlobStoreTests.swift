import Foundation
import Testing
@testable import MemStore

@Suite struct SHA256Tests {
    @Test func nistExamples() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for split in [0, 1, 55, 56, 63, 64, 65, 500, 999] {
            var hasher = SHA256()
            hasher.update(Array(bytes[..<split]))
            hasher.update(Array(bytes[split...]))
            #expect(SHA256.hex(digest: hasher.finalize()) == SHA256.hex(bytes), "split at \(split)")
        }
    }
}

@Suite struct BlobStoreTests {
    let root = NSTemporaryDirectory() + "memos-blobs-\(UUID().uuidString)"

    @Test func storesOnceByContentAndExports() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let blobs = try BlobStore(root: root)
        let a = try blobs.put(Array("hello".utf8))
        let b = try blobs.put(Array("hello".utf8))
        #expect(a == b && a.size == 5)
        #expect(a.sha256 == SHA256.hex(Array("hello".utf8)))
        #expect(blobs.all() == [a.sha256])
        #expect(try blobs.read(a.sha256) == Array("hello".utf8))
        // From a file, streamed: the same hash as from memory.
        let source = root + "/source.bin"
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        #expect(FileManager.default.createFile(atPath: source, contents: Data(big)))
        let c = try blobs.put(contentsOf: source)
        #expect(c.sha256 == SHA256.hex(big) && c.size == 3_000_000)
        try blobs.export(c.sha256, to: root + "/out.bin")
        #expect(FileManager.default.contents(atPath: root + "/out.bin") == Data(big))
        #expect(throws: BlobError.self) { try blobs.put(contentsOf: root + "/nope") }
        #expect(throws: BlobError.self) { try blobs.put(contentsOf: root) }
    }

    @Test func collectRemovesOrphansAndTempFiles() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let blobs = try BlobStore(root: root)
        let kept = try blobs.put(Array("kept".utf8))
        let orphan = try blobs.put(Array("orphan".utf8))
        #expect(FileManager.default.createFile(atPath: root + "/tmp/half-written", contents: Data([1, 2, 3])))
        #expect(blobs.collect(keeping: [kept.sha256]) == [orphan.sha256])
        #expect(blobs.all() == [kept.sha256])
        #expect((try FileManager.default.contentsOfDirectory(atPath: root + "/tmp")).isEmpty)
    }
}
