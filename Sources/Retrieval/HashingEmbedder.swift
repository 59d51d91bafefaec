/// A deterministic embedder that needs no model weights: signed feature
/// hashing of word unigrams, word bigrams and character trigrams into
/// `dimension` buckets, L2-normalized.
///
/// It captures lexical overlap (including partial word overlap through the
/// trigrams), not meaning. Same input, same vector, on every machine.
/// Cost: O(text length); no allocation beyond the token list.
public struct HashingEmbedder: Embedder {
    public let dimension: Int
    public var id: String { "hashing-v1-\(dimension)" }

    static let unigramWeight: Float = 1.0
    static let stopWordWeight: Float = 0.15
    static let bigramWeight: Float = 0.5
    static let trigramWeight: Float = 0.25

    public init(dimension: Int = 384) {
        precondition(dimension > 0)
        self.dimension = dimension
    }

    public func embed(_ texts: [String]) -> [[Float]] {
        ParallelMap.map(texts) { self.embedOne($0) }
    }

    func embedOne(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let words = TextTokens.words(text)
        var scalars: [UInt32] = []  // "#word#", reused from word to word
        for (i, word) in words.enumerated() {
            let isStop = StopWords.english.contains(word)
            add(FNV1a.hash("w:", word), isStop ? Self.stopWordWeight : Self.unigramWeight, to: &vector)
            if i + 1 < words.count {
                add(FNV1a.hash("b:", word, " ", words[i + 1]), Self.bigramWeight, to: &vector)
            }
            if !isStop {
                scalars.removeAll(keepingCapacity: true)
                scalars.append(0x23)
                for scalar in word.unicodeScalars { scalars.append(scalar.value) }
                scalars.append(0x23)
                if scalars.count > 4 {
                    for j in 0...(scalars.count - 3) {
                        var h = Self.trigramSeed
                        h.combine(scalars[j])
                        h.combine(scalars[j + 1])
                        h.combine(scalars[j + 2])
                        add(h.finalized, Self.trigramWeight, to: &vector)
                    }
                }
            }
        }
        normalize(&vector)
        return vector
    }

    static let trigramSeed: FNV1a = {
        var h = FNV1a()
        h.combine("t:")
        return h
    }()

    private func add(_ hash: UInt64, _ weight: Float, to vector: inout [Float]) {
        let bucket = Int(hash % UInt64(dimension))
        vector[bucket] += (hash >> 63) == 0 ? weight : -weight
    }
}

/// 64-bit FNV-1a: small, fast and the same in every process (unlike `Hasher`).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ text: String) {
        for byte in text.utf8 { combine(byte) }
    }

    mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    mutating func combine(_ scalar: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { combine(UInt8(truncatingIfNeeded: scalar >> shift)) }
    }

    static func hash(_ a: String, _ b: String) -> UInt64 {
        var h = FNV1a()
        h.combine(a)
        h.combine(b)
        return h.finalized
    }

    static func hash(_ a: String, _ b: String, _ c: String, _ d: String) -> UInt64 {
        var h = FNV1a()
        h.combine(a)
        h.combine(b)
        h.combine(c)
        h.combine(d)
        return h.finalized
    }

    /// The value after a final avalanche (MurmurHash3's fmix64), so the low
    /// bits (the bucket) and the top bit (the sign) are well mixed.
    var finalized: UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}
