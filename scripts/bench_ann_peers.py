#!/usr/bin/env python3
"""The ANN libraries users would pick instead of memos' HNSW, on the same files.

    python3 scripts/bench_ann_peers.py --base B.fvecs --queries Q.fvecs --truth T.ivecs \
        [--m 16] [--ef-construction 100] [--ef 50,100,200] [--k 10] [--threads 1] \
        [--libraries hnswlib,faiss,usearch] [--memos .build/release/memos-bench]

Reads the ANN benchmarks' fvecs/ivecs files (e.g. `memos-bench ann-data`),
normalizes the vectors (memos' index is cosine: inner product on unit
vectors), builds each library's HNSW index with the same M and
efConstruction on `--threads` threads, and prints per ef the search p50/p99
(one query at a time, as memos recalls) and recall@k against the truth file.
With `--memos`, memos-bench hnsw runs on the same files in the same run and
the ratios to it are printed last.

The libraries come from PyPI (`pip install hnswlib faiss-cpu usearch`, or
`make bench-peers`, which keeps them in a venv under .build/); a missing one
is reported and skipped. numpy is needed.
"""
import argparse
import re
import subprocess
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit("bench_ann_peers.py needs numpy (pip install numpy)")


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"{path}: empty")
    dimension = int(raw[0])
    if dimension <= 0 or raw.size % (dimension + 1):
        sys.exit(f"{path}: not a file of {dimension}-dimensional vectors")
    rows = raw.reshape(-1, dimension + 1)
    if not (rows[:, 0] == dimension).all():
        sys.exit(f"{path}: vectors of different dimensions")
    return rows[:, 1:].copy().view(dtype)


def normalized(x):
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def curve(search, queries, truth, efs, k):
    """Per ef: (ef, p50 ms, p99 ms, recall@k), one query at a time."""
    rows = []
    for ef in efs:
        latencies, found = [], 0
        for query, expected in zip(queries, truth):
            t0 = time.perf_counter()
            ids = search(query, ef)
            latencies.append((time.perf_counter() - t0) * 1000)
            found += len(set(int(i) for i in ids[:k]) & set(int(i) for i in expected[:k]))
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        rows.append((ef, p(0.5), p(0.99), found / (len(queries) * k)))
    return rows


def run_hnswlib(base, queries, truth, a):
    import hnswlib
    index = hnswlib.Index(space="ip", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=a.m, ef_construction=a.ef_construction, random_seed=42)
    index.set_num_threads(a.threads)
    t0 = time.perf_counter()
    index.add_items(base, np.arange(len(base)))
    build = time.perf_counter() - t0
    index.set_num_threads(1)

    def search(query, ef):
        index.set_ef(max(ef, a.k))
        return index.knn_query(query[None, :], k=a.k)[0][0]
    return f"hnswlib {hnswlib.__version__ if hasattr(hnswlib, '__version__') else ''}".strip(), build, curve(search, queries, truth, a.efs, a.k)


def run_faiss(base, queries, truth, a):
    import faiss
    faiss.omp_set_num_threads(a.threads)
    index = faiss.IndexHNSWFlat(base.shape[1], a.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = a.ef_construction
    t0 = time.perf_counter()
    index.add(base)
    build = time.perf_counter() - t0
    faiss.omp_set_num_threads(1)

    def search(query, ef):
        index.hnsw.efSearch = max(ef, a.k)
        return index.search(query[None, :], a.k)[1][0]
    return f"faiss {faiss.__version__}", build, curve(search, queries, truth, a.efs, a.k)


def run_usearch(base, queries, truth, a):
    import usearch
    from usearch.index import Index
    index = Index(ndim=base.shape[1], metric="ip", dtype="f32", connectivity=a.m, expansion_add=a.ef_construction)
    t0 = time.perf_counter()
    index.add(np.arange(len(base)), base, threads=a.threads)
    build = time.perf_counter() - t0

    def search(query, ef):
        index.expansion_search = max(ef, a.k)
        return index.search(query, a.k, threads=1).keys
    return f"usearch {usearch.VERSION if hasattr(usearch, 'VERSION') else ''}".strip(), build, curve(search, queries, truth, a.efs, a.k)


def run_memos(a):
    command = [a.memos, "hnsw", "--base", a.base, "--queries", a.queries, "--truth", a.truth,
               "--m", str(a.m), "--ef-construction", str(a.ef_construction), "--ef", ",".join(map(str, a.efs)),
               "--k", str(a.k)]
    if a.threads != 1:
        command += ["--threads", str(a.threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    build = float(re.search(r"build ([0-9.]+) s", output).group(1))
    rows = [(int(ef), float(p50), float(p99), float(r)) for ef, p50, p99, r in re.findall(
        r"ef (\d+), k \d+: search p50 ([0-9.]+) ms p99 ([0-9.]+) ms; recall@\d+ ([0-9.]+)", output)]
    return "memos", build, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--truth", required=True)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=100)
    parser.add_argument("--ef", default="50,100,200")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--libraries", default="hnswlib,faiss,usearch")
    parser.add_argument("--memos", help="path of memos-bench, to run it on the same files in this run")
    a = parser.parse_args()
    a.efs = [int(x) for x in a.ef.split(",")]
    base = normalized(read_vecs(a.base, np.float32))
    queries = normalized(read_vecs(a.queries, np.float32))
    truth = read_vecs(a.truth, np.int32)
    if truth.shape[0] < len(queries) or truth.shape[1] < a.k:
        sys.exit(f"{a.truth}: {truth.shape[0]} rows of {truth.shape[1]}; need {len(queries)} of at least {a.k}")
    print(f"{len(base)} base x {base.shape[1]}, {len(queries)} queries; M {a.m}, efConstruction {a.ef_construction}, "
          f"build threads {a.threads}, search 1 thread, one query at a time")
    runners = {"hnswlib": run_hnswlib, "faiss": run_faiss, "usearch": run_usearch}
    results = []
    if a.memos:
        results.append(run_memos(a))
    for name in a.libraries.split(","):
        try:
            results.append(runners[name](base, queries, truth, a))
        except ImportError as error:
            print(f"{name}: not installed ({error}); skipped")
    for label, build, rows in results:
        print(f"{label}: build {build:.1f} s")
        for ef, p50, p99, recall in rows:
            print(f"  ef {ef}: p50 {p50 * 1000:.0f} µs  p99 {p99 * 1000:.0f} µs  recall@{a.k} {recall:.4f}")
    if a.memos and len(results) > 1:
        memos = results[0]
        print("ratios, peer / memos (build seconds; p50 at each ef):")
        for label, build, rows in results[1:]:
            ratios = ", ".join(f"ef {ef} {p50 / m[1]:.2f}×" for (ef, p50, _, _), m in zip(rows, memos[2]))
            print(f"  {label}: build {build / memos[1]:.2f}×; {ratios}")


if __name__ == "__main__":
    main()
