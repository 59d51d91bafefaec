#!/usr/bin/env python3
"""memos' MiniLM beside ONNX Runtime on the same weights, texts and query, in one run.

Usage: scripts/bench_onnxruntime.py --memos .build/release/memos-bench [--texts N] [--venv DIR] [--rounds R]

1. Creates a virtualenv (default .build/ort-venv, git-ignored) with onnxruntime,
   onnx and numpy from the package index.
2. Writes all-MiniLM-L6-v2 as an ONNX graph from the model.safetensors that
   `make model` fetched (standard opset-17 operators, the shape torch's exporter
   gives: MatMul + Add, erf-GELU, LayerNormalization, Softmax attention with an
   additive mask). ONNX Runtime runs it with every graph optimisation on, which
   fuses attention, GELU and the layer norms itself.
3. Checks that graph against Tests/Fixtures/minilm_reference.json (token ids from
   the reference tokenizer, cosine >= 0.9999 to the float64 reference vectors).
4. Runs `memos-bench embed`, ONNX Runtime, then `memos-bench embed` again and
   ONNX Runtime again (R rounds, interleaved, so a busy machine slows both
   alike), and prints sentences/s at batch 1, 32 and 256 and one 20-word query's
   median latency for 1 and 2 threads, with memos/ORT ratios.

Threads: memos' --threads N are N workers, each with one BLAS thread (batches
split across them; one query splits each layer between them); ONNX Runtime's are
intra_op_num_threads=N with one inter-op thread. Tokenizing is not timed for ONNX
Runtime (the Python tokenizer is slow); memos' figures include its tokenizer.
ONNX Runtime's batches are texts of similar length (sorted, as sentence-transformers
does, so padding costs little); memos packs each batch by its own rules.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PACKAGES = ["onnxruntime", "onnx", "numpy"]
BATCHES = (1, 32, 256)
THREADS = (1, 2)


def ensure_venv(venv):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    if subprocess.run([python, "-c", "import onnxruntime, onnx, numpy"], capture_output=True).returncode != 0:
        print(f"installing {' '.join(PACKAGES)} into {venv} ...", flush=True)
        subprocess.check_call([python, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + PACKAGES)
    return python


# --- the graph -------------------------------------------------------------

def build_graph(weights, path, layers=6, heads=12):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden = weights["embeddings.word_embeddings.weight"].shape[1]
    size = hidden // heads
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(value, prefix="c"):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(value), n))
        return n

    def op(kind, inputs, **attrs):
        out = name(kind)
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def weight(key, transpose=False):
        value = weights[key].astype(np.float32)
        return const(value.T.copy() if transpose else value, key)

    def dense(x, prefix):
        return op("Add", [op("MatMul", [x, weight(prefix + ".weight", transpose=True)]), weight(prefix + ".bias")])

    def layer_norm(x, prefix):
        return op("LayerNormalization", [x, weight(prefix + ".weight"), weight(prefix + ".bias")], axis=-1, epsilon=1e-12)

    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    positions = helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"])
    x = op("Add", [op("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"]),
                   op("Gather", [weight("embeddings.position_embeddings.weight"), "position_ids"])])
    x = op("Add", [x, const(weights["embeddings.token_type_embeddings.weight"][0].astype(np.float32), "token_type")])
    x = layer_norm(x, "embeddings.LayerNorm")
    # (1 - mask) * -10000, shaped (batch, 1, 1, sequence): added to every head's scores.
    maskf = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = op("Mul", [op("Sub", [const(np.float32(1)), maskf]), const(np.float32(-10000))])
    bias = op("Unsqueeze", [bias, const(np.array([1, 2], dtype=np.int64))])
    split = const(np.array([0, 0, heads, size], dtype=np.int64))
    merge = const(np.array([0, 0, hidden], dtype=np.int64))
    for i in range(layers):
        p = f"encoder.layer.{i}."
        q = op("Transpose", [op("Reshape", [dense(x, p + "attention.self.query"), split])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [dense(x, p + "attention.self.key"), split])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [dense(x, p + "attention.self.value"), split])], perm=[0, 2, 1, 3])
        scores = op("Add", [op("Div", [op("MatMul", [q, k]), const(np.float32(np.sqrt(size)))]), bias])
        probs = op("Softmax", [scores], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge])
        x = layer_norm(op("Add", [dense(context, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        inner = dense(x, p + "intermediate.dense")
        gelu = op("Mul", [op("Mul", [inner, op("Add", [op("Erf", [op("Div", [inner, const(np.float32(np.sqrt(2)))])]),
                                                       const(np.float32(1))])]), const(np.float32(0.5))])
        x = layer_norm(op("Add", [dense(gelu, p + "output.dense"), x]), p + "output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", [ids, mask, positions], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


# --- running it ------------------------------------------------------------

def session(path, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def embed(sess, batch_ids):
    """Sentence vectors: the last hidden state mean-pooled over each text's tokens, L2-normalised."""
    import numpy as np
    longest = max(len(ids) for ids in batch_ids)
    ids = np.zeros((len(batch_ids), longest), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, text_ids in enumerate(batch_ids):
        ids[row, :len(text_ids)] = text_ids
        mask[row, :len(text_ids)] = 1
    positions = np.broadcast_to(np.arange(longest, dtype=np.int64), ids.shape).copy()
    hidden = sess.run(None, {"input_ids": ids, "attention_mask": mask, "position_ids": positions})[0]
    pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def check(path, vocab, encode):
    import numpy as np
    with open(os.path.join(ROOT, "Tests", "Fixtures", "minilm_reference.json")) as f:
        fixture = json.load(f)
    sess = session(path, 1)
    worst = 1.0
    for sentence in fixture["sentences"]:
        ids = encode(sentence["text"], vocab)
        if ids != sentence["token_ids"]:
            sys.exit(f"token ids differ from the fixture for {sentence['text']!r}")
        vector = embed(sess, [ids])[0]
        reference = np.array(sentence["embedding"])
        worst = min(worst, float(vector @ reference / np.linalg.norm(reference)))
    if worst < 0.9999:
        sys.exit(f"the ONNX graph is not the reference model: worst cosine {worst:.6f}")
    return worst


def measure_ort(path, texts, query, vocab, encode):
    # Batches of similar lengths, as sentence-transformers makes them (less padding).
    ids = sorted((encode(text, vocab) for text in texts), key=len)
    query_ids = encode(query, vocab)
    rates, latency = {}, {}
    for threads in THREADS:
        sess = session(path, threads)
        embed(sess, ids[:32])  # warm-up
        for batch in BATCHES:
            start = time.perf_counter()
            for i in range(0, len(ids), batch):
                embed(sess, ids[i:i + batch])
            rates[(threads, batch)] = len(ids) / (time.perf_counter() - start)
        samples = []
        for _ in range(50):
            start = time.perf_counter()
            embed(sess, [query_ids])
            samples.append((time.perf_counter() - start) * 1000)
        latency[threads] = sorted(samples)[len(samples) // 2]
    return rates, latency, len(query_ids)


def measure_memos(binary, count, texts_file, query_file):
    out = subprocess.run([binary, "embed", "--texts", str(count), "--texts-out", texts_file, "--query-out", query_file,
                          "--threads", ",".join(map(str, THREADS)), "--batches", ",".join(map(str, BATCHES))],
                         check=True, capture_output=True, text=True).stdout
    rates, latency = {}, {}
    for threads, batch, rate in re.findall(r"threads (\d+), batch\s+(\d+):\s+([\d.]+) sentences/s", out):
        rates[(int(threads), int(batch))] = float(rate)
    for threads, ms in re.findall(r"query \(\d+ pieces\), (\d+) threads?: median ([\d.]+) ms", out):
        latency[int(threads)] = float(ms)
    return rates, latency, out.splitlines()[0]


def inside(args):
    import numpy as np
    import onnxruntime
    sys.path.insert(0, HERE)
    from fetch_model import default_dir
    from minilm_reference import encode, load_safetensors

    model_dir = args.model_dir or default_dir()
    with open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
    path = os.path.join(args.venv, "all-MiniLM-L6-v2.onnx")
    if not os.path.exists(path):
        build_graph(load_safetensors(os.path.join(model_dir, "model.safetensors")), path)
    worst = check(path, vocab, encode)
    print(f"ONNX Runtime {onnxruntime.__version__}, numpy {np.__version__}; graph {path}: "
          f"worst cosine to the reference {worst:.6f}, token ids identical", flush=True)
    texts_file = os.path.join(args.venv, "texts.txt")
    query_file = os.path.join(args.venv, "query.txt")
    memos_runs, ort_runs = [], []
    for round_ in range(args.rounds):
        rates, latency, header = measure_memos(args.memos, args.texts, texts_file, query_file)
        memos_runs.append((rates, latency))
        texts = [line.rstrip("\n") for line in open(texts_file, encoding="utf-8") if line.strip()]
        query = open(query_file, encoding="utf-8").read().strip()
        rates, latency, pieces = measure_ort(path, texts, query, vocab, encode)
        ort_runs.append((rates, latency))
        print(f"round {round_ + 1} of {args.rounds} done ({header})", flush=True)

    def median(values):
        values = sorted(values)
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2

    print(f"\n{len(texts)} texts; one query of {pieces} tokens; medians over {args.rounds} interleaved rounds")
    print("| | memos | ONNX Runtime | memos / ORT |")
    print("|---|---|---|---|")
    for threads in THREADS:
        m = median([run[1][threads] for run in memos_runs])
        o = median([run[1][threads] for run in ort_runs])
        print(f"| one query, {threads} thread{'s' if threads > 1 else ''} (ms) | {m:.2f} | {o:.2f} | {m / o:.2f}× time |")
    for threads in THREADS:
        for batch in BATCHES:
            m = median([run[0][(threads, batch)] for run in memos_runs])
            o = median([run[0][(threads, batch)] for run in ort_runs])
            print(f"| batch {batch}, {threads} thread{'s' if threads > 1 else ''} (sent/s) | {m:.1f} | {o:.1f} | {m / o:.2f}× rate |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memos", required=True, help="the memos-bench binary (a release build)")
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model-dir")
    parser.add_argument("--venv", default=os.path.join(ROOT, ".build", "ort-venv"))
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.memos = os.path.abspath(args.memos)
    args.venv = os.path.abspath(args.venv)
    if args.inside:
        inside(args)
        return
    python = ensure_venv(args.venv)
    os.execv(python, [python, os.path.abspath(__file__), "--inside"] + sys.argv[1:])


if __name__ == "__main__":
    main()
