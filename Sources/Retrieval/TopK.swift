/// Keeps the `k` best (highest-scoring) items seen, with a binary min-heap.
///
/// O(n log k) over n offers; `threshold` lets callers skip costly checks
/// for items that could not enter anyway.
struct TopK<Item> {
    let k: Int
    private var heap: [(score: Float, item: Item)] = []

    init(k: Int) {
        self.k = max(0, k)
        heap.reserveCapacity(self.k)
    }

    /// The score an item must beat to enter (−∞ until the heap is full).
    var threshold: Float { heap.count < k ? -.infinity : heap[0].score }

    mutating func offer(_ score: Float, _ item: Item) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append((score, item))
            siftUp(heap.count - 1)
        } else if score > heap[0].score {
            heap[0] = (score, item)
            siftDown(0)
        }
    }

    /// The kept items, best first.
    func sorted() -> [(score: Float, item: Item)] {
        heap.sorted { $0.score > $1.score }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].score < heap[parent].score else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].score < heap[smallest].score { smallest = left }
            if right < heap.count, heap[right].score < heap[smallest].score { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
