import Foundation
import MemAPI
import Testing
import MemCube
import MemTestSupport
@testable import Retrieval

/// Token ids and vectors from an independent implementation
/// (`scripts/minilm_reference.py`), in `Tests/Fixtures/`.
let referencePath = Fixtures.path("minilm_reference.json")
let modelDirectory = DefaultPaths.modelDirectory(environment: ProcessInfo.processInfo.environment)
let modelInstalled = MiniLMEmbedder.requiredFiles.allSatisfy { FileManager.default.fileExists(atPath: modelDirectory + "/" + $0) }

/// memctl doctor looks for the model files memosd loads.
@Test func theModelFilesAreDeclaredOnceForMemctlAndMemosd() {
    #expect(MiniLMEmbedder.requiredFiles == DefaultPaths.modelFiles)
}

struct Reference: Decodable {
    struct Sentence: Decodable {
        let text: String
        let token_ids: [Int32]
        let embedding: [Float]
    }
    let sentences: [Sentence]
}

/// Shared across tests: loading the 90 MB of weights once is enough.
let sharedEmbedder: MiniLMEmbedder? = modelInstalled ? try? MiniLMEmbedder(directory: modelDirectory) : nil

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for i in a.indices {
        dot += a[i] * b[i]
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}

/// `make test` installs the model first (`make model`), so in CI these always run.
@Suite(.enabled(if: modelInstalled, "the MiniLM weights are not installed: run `make model`"))
struct MiniLMTests {
    let embedder: MiniLMEmbedder

    init() throws {
        embedder = try #require(sharedEmbedder)
    }

    var reference: Reference {
        get throws {
            try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: referencePath)))
        }
    }

    @Test func tokenIDsMatchTheReferenceExactly() throws {
        for sentence in try reference.sentences {
            #expect(embedder.tokenizer.encode(sentence.text) == sentence.token_ids, "\(sentence.text)")
        }
    }

    @Test func vectorsMatchTheReference() throws {
        let reference = try reference
        let vectors = try embedder.embed(reference.sentences.map(\.text))
        var worst: Float = 1
        for (vector, sentence) in zip(vectors, reference.sentences) {
            let c = cosine(vector, sentence.embedding)
            worst = min(worst, c)
            #expect(c >= 0.9999, "cosine \(c) for \(sentence.text)")
        }
        print("MiniLM reference: \(reference.sentences.count) sentences, min cosine \(worst)")
    }

    @Test func batchedEqualsOneByOne() throws {
        let texts = try reference.sentences.map(\.text)
        let batched = try embedder.embed(texts)
        for (text, vector) in zip(texts, batched) {
            #expect(cosine(try embedder.embed(text), vector) > 0.99999)
        }
    }

    /// Two threads sharing one query's pass (split columns and heads) give the reference's vectors.
    @Test func twoThreadsPerQueryMatchTheReference() throws {
        var shared = embedder
        shared.threads = 2
        for sentence in try reference.sentences {
            let c = cosine(try shared.embed(sentence.text), sentence.embedding)
            #expect(c >= 0.9999, "cosine \(c) for \(sentence.text)")
            #expect(cosine(try shared.embed(sentence.text), try embedder.embed(sentence.text)) > 0.99999)
        }
    }

    @Test func publishedSimilaritiesHold() throws {
        let v = try embedder.embed(try reference.sentences.prefix(3).map(\.text))
        // The model card's figures for these pairs: 0.666, 0.1046, 0.1411.
        #expect(abs(cosine(v[0], v[1]) - 0.666) < 0.002)
        #expect(abs(cosine(v[0], v[2]) - 0.1046) < 0.002)
        #expect(abs(cosine(v[1], v[2]) - 0.1411) < 0.002)
    }

    @Test func longTextsAreChunkedAndStillUnitLength() throws {
        let long = Array(repeating: "Caroline talked about her adoption plans with Melanie.", count: 60).joined(separator: " ")
        #expect(embedder.tokenizer.pieces(long).count > 254)
        let vector = try embedder.embed(long)
        #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        let windows = try embedder.embed([long]).first!
        #expect(windows == vector)
        // The vector is the normalized mean of the 254-piece windows' vectors.
        let pieces = embedder.tokenizer.pieces(long)
        let t = embedder.tokenizer
        let windowVectors = embedder.model.embed(stride(from: 0, to: pieces.count, by: 254).map { start in
            [t.classID] + pieces[start..<min(pieces.count, start + 254)] + [t.separatorID]
        })
        var mean = [Float](repeating: 0, count: 384)
        for w in windowVectors { for j in 0..<384 { mean[j] += w[j] } }
        #expect(windowVectors.count == (pieces.count + 253) / 254)
        #expect(cosine(vector, mean) > 0.99999)
    }

    /// Expected ids from HuggingFace's own tokenizer (the `tokenizers`
    /// package with the model's tokenizer.json), computed once offline.
    @Test(arguments: [
        ("", [101, 102]),
        ("   \t\n ", [101, 102]),
        ("Hello, world!", [101, 7592, 1010, 2088, 999, 102]),
        ("naïve CAFÉ", [101, 15743, 7668, 102]),
        ("日本語", [101, 1864, 1876, 1950, 102]),
        ("😀", [101, 100, 102]),
        ("a\u{0}b\u{FFFD}c", [101, 5925, 102]),
        ("Ünïcödé straße ﬁne", [101, 27260, 2358, 27807, 1984, 2638, 102]),
        ("e-mail: bob@example.com, #tag @handle", [101, 1041, 1011, 5653, 1024, 3960, 1030, 2742, 1012, 4012, 1010, 1001, 6415, 1030, 5047, 102]),
        ("Ⅻ ½ ١٢٣", [101, 100, 1092, 100, 102]),
        ("don't “quote” — dash…", [101, 2123, 1005, 1056, 1523, 14686, 1524, 1517, 11454, 1529, 102]),
        ("İstanbul", [101, 9960, 102]),
        ("Καλημέρα κόσμε", [101, 1164, 14608, 29727, 24824, 29728, 29723, 29732, 14608, 1164, 29730, 29733, 29728, 29723, 102]),
        ("ＦＵＬＬ\u{3000}ｗｉｄｔｈ", [101, 100, 100, 102]),
        ("\u{200B}zero\u{200D}width", [101, 5717, 9148, 11927, 2232, 102]),
    ] as [(String, [Int32])])
    func trickyTokenization(text: String, ids: [Int32]) {
        #expect(embedder.tokenizer.encode(text) == ids)
    }

    @Test func veryLongWordsBecomeUnknown() {
        let word = String(repeating: "x", count: 101)
        #expect(embedder.tokenizer.pieces(word) == [embedder.tokenizer.unknownID])
        #expect(embedder.tokenizer.pieces(String(repeating: "x", count: 100)) == [22038] + Array(repeating: 20348, count: 49))
    }
}
