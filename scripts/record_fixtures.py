#!/usr/bin/env python3
"""Record schemas/fixtures.json: one real request and response per method.

Usage: start a fresh memosd (any embedder), then
  scripts/record_fixtures.py SOCKET_PATH > schemas/fixtures.json
The test suite checks every fixture (and live answers) against
schemas/memos.schema.json, and that every method has one.
"""
import base64
import json
import shutil
import tempfile
import struct
import socket
import sys


def main():
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(sys.argv[1])
    stream = sock.makefile("rwb")
    fixtures = []
    counter = [0]

    def call(method, params):
        counter[0] += 1
        stream.write(json.dumps({"jsonrpc": "2.0", "id": counter[0], "method": method, "params": params}).encode() + b"\n")
        stream.flush()
        response = json.loads(stream.readline())
        fixtures.append({"method": method, "params": params, "response": response})
        return response

    first = call("memory.add", {
        "namespace": "demo", "text": "Caroline moved to Berlin in 2022", "tags": ["travel"], "agent": "planner",
        "session": "chat-1", "importance": 0.7, "occurred_at": "2022-03-01T09:00:00Z",
        "source": {"type": "chat", "role": "user", "message_id": "m-17"}, "attributes": {"city": "Berlin"}})["result"]
    batch = call("memory.add", {"namespace": "demo", "items": [
        {"text": "Melanie paints sunsets", "session": "chat-1", "entities": ["Melanie"]},
        {"text": "Caroline's favourite food is ramen", "session": "chat-1", "ttl_seconds": 86400}]})["result"]
    call("memory.ingest", {"namespace": "demo", "session": "chat-2", "messages": [
        {"role": "user", "name": "Dana", "content": "I adopted a beagle called Biscuit.", "timestamp": "2023-05-08T13:56:00Z", "id": "m-1"},
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "assistant", "content": "Congratulations on Biscuit!", "id": "m-2"}]})
    call("memory.link", {"namespace": "demo", "from": batch["ids"][0], "to": first["id"], "type": "mentioned_with",
                         "weight": 0.5})
    call("graph.neighbors", {"namespace": "demo", "id": first["id"], "limit": 5})
    call("memory.recall", {"namespace": "demo", "query": "Where does Caroline live?", "k": 3, "explain": True})
    call("memory.update", {"namespace": "demo", "id": first["id"], "text": "Caroline moved to Munich in 2023",
                           "expected_version": 1})
    call("memory.get", {"namespace": "demo", "id": first["id"]})
    call("memory.get", {"namespace": "demo", "id": first["id"], "version": 1})
    call("memory.history", {"namespace": "demo", "id": first["id"]})
    call("memory.list", {"namespace": "demo", "limit": 2})
    kv = safetensors_kv(layers=2, heads=1, tokens=2, head_dim=2)
    activation = call("memory.add", {
        "namespace": "demo", "kind": "activation", "format": "safetensors", "model": "llama-3.1-8b",
        "data": base64.b64encode(kv).decode(), "derived_from": [first["id"]], "meta": {"tokenizer": "sha256:0f3a"},
        "text": "KV cache of: Caroline moved to Munich"})["result"]
    call("memory.get", {"namespace": "demo", "id": activation["id"], "include_data": True})
    second_kv = call("memory.add", {
        "namespace": "demo", "kind": "activation", "format": "safetensors", "model": "llama-3.1-8b",
        "data": base64.b64encode(safetensors_kv(layers=2, heads=1, tokens=3, head_dim=2)).decode()})["result"]
    call("memory.compose", {"namespace": "demo", "ids": [activation["id"], second_kv["id"]],
                            "text": "KV cache of both"})
    adapters = [call("memory.add", {
        "namespace": "demo", "kind": "parameter", "format": "safetensors", "model": "llama-3.1-8b",
        "data": base64.b64encode(safetensors_lora(rank=rank, alpha=alpha)).decode()})["result"]["id"]
        for rank, alpha in ((2, 16), (4, 8))]
    call("memory.fuse", {"namespace": "demo", "ids": adapters, "weights": [0.7, 0.3], "method": "cat"})
    call("scheduler.touch", {"namespace": "demo", "ids": [batch["ids"][0], batch["ids"][0], batch["ids"][0]]})
    call("scheduler.tick", {})
    call("scheduler.pin", {"namespace": "demo", "id": batch["ids"][0]})
    call("scheduler.unpin", {"namespace": "demo", "id": batch["ids"][0]})
    call("scheduler.demote", {"namespace": "demo", "id": batch["ids"][1], "tier": "archive"})
    call("scheduler.promote", {"namespace": "demo", "id": batch["ids"][1]})
    call("scheduler.status", {"events": 5})
    call("consolidate.run", {"namespace": "demo", "dry_run": True, "steps": ["expire"]})
    run = call("consolidate.run", {"namespace": "demo", "wait": True})["result"]
    call("consolidate.status", {"run_id": run["run_id"]})
    call("consolidate.report", {"run_id": run["run_id"]})
    call("consolidate.undo", {"run_id": run["run_id"]})
    call("memory.revert", {"namespace": "demo", "id": first["id"], "to_version": 1})
    call("memory.forget", {"namespace": "demo", "id": first["id"]})
    call("system.health", {})
    call("system.stats", {})
    call("namespace.share", {"namespace": "demo", "uid": 4321, "access": "read"})
    call("namespace.list", {})
    call("namespace.unshare", {"namespace": "demo", "uid": 4321})
    call("system.reindex", {"wait": True})
    call("system.doctor", {})
    exported = call("memory.export", {"namespace": "demo", "limit": 2})["result"]
    call("memory.import", {"namespace": "demo-copy", "format": "mem0", "records": [
        {"id": "8c3e6a4e-1111", "memory": "Dana's dog is called Biscuit", "user_id": "dana", "agent_id": "assistant",
         "run_id": "chat-7", "metadata": {"topic": "pets"}, "created_at": "2024-07-20T01:23:45Z"}]})
    call("memory.import", {"namespace": "demo", "records": exported["records"]})
    backup_dir = tempfile.mkdtemp(prefix="memos-fixture-backup-")
    call("system.backup", {"dir": backup_dir + "/backup"})
    shutil.rmtree(backup_dir)
    call("memory.update", {"namespace": "demo", "id": first["id"], "importance": 0.1, "expected_version": 1})
    call("memory.add", {"namespace": "demo", "text": "x", "importance": 2})
    call("scheduler.complete", {"job_id": "job-unknown", "id": first["id"]})
    call("scheduler.fail", {"job_id": "job-unknown", "error": "out of GPU memory"})
    # Last: after subscribing, this connection also receives job notifications.
    call("scheduler.subscribe", {"models": ["llama-3.1-8b"], "name": "fixture-runner"})
    json.dump(fixtures, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def safetensors_kv(layers, heads, tokens, head_dim):
    """A small KV snapshot in the memos layout (docs/payloads.md), float32 zeros and ones."""
    header, data = {}, b""
    for layer in range(layers):
        for part in ("key", "value"):
            values = [float((i + layer) % 2) for i in range(heads * tokens * head_dim)]
            begin = len(data)
            data += struct.pack("<%df" % len(values), *values)
            header["layers.%d.%s" % (layer, part)] = {
                "dtype": "F32", "shape": [heads, tokens, head_dim], "data_offsets": [begin, len(data)]}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


def safetensors_lora(rank, alpha, inputs=4, outputs=3):
    """A small PEFT LoRA adapter on one module."""
    header, data = {"__metadata__": {"lora_alpha": str(alpha)}}, b""
    module = "base_model.model.layers.0.self_attn.q_proj"
    for name, shape in ((module + ".lora_A.weight", [rank, inputs]), (module + ".lora_B.weight", [outputs, rank])):
        values = [((i * 7) % 11 - 5) / 10 for i in range(shape[0] * shape[1])]
        begin = len(data)
        data += struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


if __name__ == "__main__":
    main()
