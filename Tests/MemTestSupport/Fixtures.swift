import Foundation

/// Files the tests read, all inside the repository: the package root is two
/// levels above this file, fixtures live in `Tests/Fixtures/` (see its README).
public enum Fixtures {
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The absolute path of `Tests/Fixtures/<name>`.
    public static func path(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name).path
    }

    /// The contents of a file below the package root (`schemas/memos.schema.json`, ...).
    public static func data(atRelativePath relative: String) throws -> Data {
        try Data(contentsOf: packageRoot.appendingPathComponent(relative))
    }
}
