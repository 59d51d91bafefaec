import Foundation
import Testing
@testable import Retrieval

/// Writes a safetensors file from a header JSON text and data bytes.
func writeSafeTensors(header: String, data: [UInt8], lengthOverride: UInt64? = nil) throws -> String {
    let path = NSTemporaryDirectory() + "st-\(UUID().uuidString).safetensors"
    var bytes: [UInt8] = []
    var length = (lengthOverride ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &length) { bytes += $0 }
    bytes += Array(header.utf8) + data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

@Suite struct SafeTensorsTests {
    @Test func readsAValidFile() throws {
        let path = try writeSafeTensors(
            header: #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#,
            data: floatBytes([1, 2, 3, 4, 5]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SafeTensorsFile(path: path)
        #expect(try file.floats("a", shape: [2, 2]) == [1, 2, 3, 4])
        #expect(try file.floats("b", shape: [1]) == [5])
        #expect(file.metadata["format"] == "pt")
        #expect(throws: SafeTensorsError.unexpectedShape(path: path, name: "a", expected: [4], found: [2, 2])) {
            try file.floats("a", shape: [4])
        }
        #expect(throws: SafeTensorsError.missingTensor(path: path, name: "c")) { try file.floats("c", shape: [1]) }
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, "truncated"),
        (#"not json"#, 8, "malformed"),
        (#"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, 8, "unknown dtype"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "needs 12"),
        (#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, 8, "whole dimensions from 0"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8, "increasing"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "overlaps"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "gap"),
        (#"{"a":{"dtype":"F32","shape":[2]}}"#, 8, "data_offsets"),
    ])
    func rejectsCorruptFiles(header: String, dataBytes: Int, expected: String) throws {
        let path = try writeSafeTensors(header: header, data: Array(repeating: 0, count: dataBytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("accepted a corrupt file: \(header)")
        } catch let error as SafeTensorsError {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test func rejectsAHeaderLongerThanTheFile() throws {
        let path = try writeSafeTensors(header: "{}", data: [], lengthOverride: 1 << 40)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: path) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: path + ".missing") }
    }

    /// A hostile header nested 200,000 deep is refused, never a stack overflow.
    @Test func rejectsADeeplyNestedHeader() throws {
        let depth = 200_000
        let header = "{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        let path = try writeSafeTensors(header: header, data: [])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: path) }
    }
}
