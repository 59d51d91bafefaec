#!/usr/bin/env python3
"""Compute the MiniLM reference vectors that RetrievalTests/MiniLMTests checks against.

Writes Tests/Fixtures/minilm_reference.json: token ids and 384-d sentence
vectors of a few sentences for all-MiniLM-L6-v2, computed by an implementation
independent of memos's Swift one: a BERT basic + WordPiece tokenizer written
here from the published algorithm, and a float64 forward pass in numpy over
the raw model.safetensors (6 layers, erf-GELU, LayerNorm eps 1e-12, mean
pooling over the tokens, L2 normalization). Needs python3 with numpy and the
weights that `make model` fetches; nothing else.

Usage:
  scripts/minilm_reference.py [--model-dir DIR] [--out FILE]   regenerate the fixture
  scripts/minilm_reference.py --check FILE                      compare FILE with a fresh computation

The first three sentences reproduce the similarities published on the
model's card (0.666, 0.1046, 0.1411), which ties this implementation to the
reference one independently of memos.
"""
import argparse
import json
import math
import os
import struct
import sys
import unicodedata

import numpy as np

from fetch_model import default_dir as default_model_dir

SENTENCES = [
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
    "Caroline went to the LGBTQ support group on 7 May 2023.",
    "Café naïve résumé: the user prefers dark-mode UIs & e-mails at 9:30am!!",
]
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "minilm_reference.json")


# --- tokenizer: BERT's basic tokenizer, then greedy longest-match WordPiece ---

def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text):
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"):
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            cleaned.append(" ")
        elif is_cjk(cp):
            cleaned.append(" " + ch + " ")
        else:
            cleaned.append(ch)
    words = []
    for word in "".join(cleaned).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(ch for ch in word if unicodedata.category(ch) != "Mn")
        current = ""
        for ch in word:
            if is_punctuation(ch):
                if current:
                    words.append(current)
                    current = ""
                words.append(ch)
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(word, vocab, unknown):
    if len(word) > 100:
        return [unknown]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [unknown]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab):
    ids = [vocab["[CLS]"]]
    for word in basic_tokens(text):
        ids.extend(wordpiece(word, vocab, vocab["[UNK]"]))
    return ids[:255] + [vocab["[SEP]"]]


# --- the model: a float64 BERT forward pass ---

def load_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors


def layer_norm(x, weight, bias, eps=1e-12):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def embed(ids, w, layers=6, heads=12):
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    hidden = x.shape[1]
    size = hidden // heads
    for i in range(layers):
        p = f"encoder.layer.{i}."
        def dense(name, v):
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = dense("attention.self.query", x).reshape(n, heads, size).transpose(1, 0, 2)
        k = dense("attention.self.key", x).reshape(n, heads, size).transpose(1, 0, 2)
        v = dense("attention.self.value", x).reshape(n, heads, size).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, hidden)
        x = layer_norm(dense("attention.output.dense", context) + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inner = gelu(dense("intermediate.dense", x))
        x = layer_norm(dense("output.dense", inner) + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


def compute(model_dir):
    import hashlib
    for name, expected in (("model.safetensors", WEIGHTS_SHA256), ("vocab.txt", VOCAB_SHA256)):
        with open(os.path.join(model_dir, name), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != expected:
                sys.exit(f"{name} in {model_dir} is not the all-MiniLM-L6-v2 file (sha256 differs); run `make model`")
    with open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
    weights = load_safetensors(os.path.join(model_dir, "model.safetensors"))
    sentences = []
    for text in SENTENCES:
        ids = encode(text, vocab)
        sentences.append({"text": text, "token_ids": ids, "embedding": [round(float(v), 8) for v in embed(ids, weights)]})
    return {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "weights": {"file": "model.safetensors", "sha256": WEIGHTS_SHA256, "vocab_sha256": VOCAB_SHA256},
        "pipeline": "BERT uncased WordPiece ([CLS] ... [SEP], max_seq_length 256) -> 6-layer BERT, erf-GELU, "
                    "LayerNorm eps 1e-12 -> mean pool over attention mask -> L2 normalize",
        "dim": 384,
        "how_computed": "scripts/minilm_reference.py: its own tokenizer and a float64 numpy forward pass "
                        "from the raw safetensors and vocab.txt",
        "tolerance": "a float32 implementation should reach cosine > 0.9999 with every vector and match every token id",
        "sentences": sentences,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", default=default_model_dir())
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--check", metavar="FILE", help="compare FILE with a fresh computation instead of writing")
    args = parser.parse_args()
    fresh = compute(args.model_dir)
    v = [np.array(s["embedding"]) for s in fresh["sentences"]]
    print("published similarities 0.666 0.1046 0.1411; here %.4f %.4f %.4f" % (v[0] @ v[1], v[0] @ v[2], v[1] @ v[2]))
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            stored = json.load(f)
        worst, ok = 1.0, True
        for a, b in zip(fresh["sentences"], stored["sentences"]):
            if a["text"] != b["text"] or a["token_ids"] != b["token_ids"]:
                print(f"token ids differ for {a['text']!r}: {a['token_ids']} vs {b['token_ids']}")
                ok = False
            x, y = np.array(a["embedding"]), np.array(b["embedding"])
            worst = min(worst, float(x @ y / np.linalg.norm(x) / np.linalg.norm(y)))
        print(f"{len(fresh['sentences'])} sentences, worst cosine {worst:.9f}")
        sys.exit(0 if ok and worst > 0.999999 else 1)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fresh, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
