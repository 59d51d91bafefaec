// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "memos",
    products: [
        .executable(name: "memosd", targets: ["memosd"]),
        .executable(name: "memctl", targets: ["memctl"]),
        .library(name: "MemAPI", targets: ["MemAPI"]),
    ],
    targets: [
        // C libraries, through system-library targets (module maps only).
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // JSON values, the reader, the writer and the value decoder (daemon and memctl alike).
        .target(name: "MemJSON"),
        // Pure value types; no I/O.
        .target(name: "MemCube", dependencies: ["MemJSON"]),
        // SQLite storage: connection, statements, migrations, repositories.
        .target(name: "MemStore", dependencies: ["MemCube", "MemJSON", "CSQLite"]),
        // Embedders, vector index, keyword query building, fusion.
        // Optimized in debug builds too: the HNSW, BM25 and BERT loops run
        // 20-40x slower at -Onone, which made them most of the test suite's time.
        .target(
            name: "Retrieval", dependencies: ["MemCube", "MemStore", "COpenBLAS"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // Tier policy, heat, TTL sweeps.
        .target(name: "MemScheduler", dependencies: ["MemCube", "MemStore", "Retrieval"]),
        // The consolidation job: its run, one file per step, undo, the planners, the chat summarizer.
        .target(name: "Consolidation", dependencies: ["MemCube", "MemJSON", "MemStore", "Retrieval", "MemScheduler"]),
        // Wire types and the socket client (no SQLite, no BLAS).
        .target(name: "MemAPI", dependencies: ["MemCube", "MemJSON"]),
        // The daemon as a library: config, dispatch, socket server.
        .target(
            name: "MemServer",
            dependencies: ["MemCube", "MemJSON", "MemStore", "Retrieval", "MemScheduler", "Consolidation", "MemAPI"]),

        .executableTarget(name: "memosd", dependencies: ["MemServer"]),
        // memctl's commands, options, parsing and output, as a library (tested); memctl is its main.
        .target(name: "MemCtlKit", dependencies: ["MemAPI", "MemCube", "MemJSON", "MemStore"]),
        .executableTarget(name: "memctl", dependencies: ["MemCtlKit"]),
        .executableTarget(
            name: "memos-bench",
            dependencies: ["MemServer", "MemAPI", "MemCube", "MemJSON", "MemStore", "Retrieval", "MemScheduler", "Consolidation"]),

        // The seeded protocol fuzzer: frames, the runner that judges replies, a memosd to aim at.
        .target(name: "ProtocolFuzz", dependencies: ["MemAPI", "MemJSON", "MemCube", "MemStore"]),
        // make fuzz: 50,000 frames against a memosd of its own.
        .executableTarget(name: "memos-fuzz", dependencies: ["ProtocolFuzz", "MemJSON", "memosd"]),

        // Fixtures shared by the test targets (temp databases, sample cubes).
        .target(name: "MemTestSupport", dependencies: ["MemCube", "MemStore"], path: "Tests/MemTestSupport"),
        // LoCoMo turn-level retrieval evaluation (make eval).
        .executableTarget(
            name: "memos-eval",
            dependencies: ["MemServer", "MemAPI", "MemCube", "MemJSON", "MemStore", "Retrieval", "MemScheduler", "Consolidation"]),

        .testTarget(name: "MemJSONTests", dependencies: ["MemJSON"]),
        .testTarget(name: "MemCubeTests", dependencies: ["MemCube"]),
        .testTarget(name: "MemCtlKitTests", dependencies: ["MemCtlKit", "MemAPI", "MemJSON"]),
        .testTarget(name: "MemAPITests", dependencies: ["MemAPI", "MemCube", "MemTestSupport"]),
        .testTarget(name: "MemStoreTests", dependencies: ["MemStore", "MemCube", "MemTestSupport"]),
        .testTarget(name: "RetrievalTests", dependencies: ["Retrieval", "MemStore", "MemCube", "MemAPI", "MemTestSupport"]),
        .testTarget(
            name: "ConsolidationTests",
            dependencies: ["Consolidation", "Retrieval", "MemStore", "MemCube", "MemJSON", "MemTestSupport"]),
        .testTarget(name: "MemSchedulerTests", dependencies: ["MemScheduler", "MemStore", "MemCube", "MemTestSupport"]),
        .testTarget(
            name: "MemServerTests",
            dependencies: ["MemServer", "MemAPI", "MemCube", "MemScheduler", "Consolidation", "MemTestSupport"]),
        // Drives the built memosd and memctl binaries over a temp socket.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MemAPI", "MemCube", "MemCtlKit", "Retrieval", "ProtocolFuzz", "MemTestSupport", "memosd", "memctl"]),
    ],
    swiftLanguageModes: [.v6]
)
