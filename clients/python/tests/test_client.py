"""memos-client against a live memosd (the repo's build, hashing embedder).

Run: PYTHONPATH=clients/python python3 -m unittest discover -s clients/python/tests
(`make test` does). MEMOS_BIN_DIR names the directory of the memosd binary
(default: the repo's .build/debug).
"""

import base64
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

import memos_client
from memos_client import MemosClient

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("MEMOS_BIN_DIR") or os.path.join(REPO, ".build", "debug")


def kv_snapshot(tokens=2):
    """A tiny KV snapshot in memos' layout (docs/payloads.md)."""
    header, data = {}, b""
    for part in ("key", "value"):
        values = [float(i) for i in range(tokens * 2)]
        begin = len(data)
        data += struct.pack("<%df" % len(values), *values)
        header["layers.0.%s" % part] = {"dtype": "F32", "shape": [1, tokens, 2], "data_offsets": [begin, len(data)]}
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


def safetensors(tensors, metadata=None):
    """A safetensors file of float32 tensors: [(name, shape, values)]."""
    header, data = {}, b""
    for name, shape, values in tensors:
        begin = len(data)
        data += struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


def lora_adapter(rank, inputs=4, outputs=3):
    """A PEFT LoRA adapter of `rank` on q_proj and v_proj of one layer."""
    tensors = []
    for module in ("base_model.model.layers.0.self_attn.q_proj", "base_model.model.layers.0.self_attn.v_proj"):
        tensors.append((module + ".lora_A.weight", [rank, inputs], [float(i % 7) for i in range(rank * inputs)]))
        tensors.append((module + ".lora_B.weight", [outputs, rank], [float(i % 5) * 0.1 for i in range(outputs * rank)]))
    return safetensors(tensors, {"lora_alpha": "16"})


class LiveDaemon:
    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="memos-py-")
        self.socket = os.path.join(self.directory, "d.sock")
        self.process = subprocess.Popen(
            [os.path.join(BIN, "memosd"), "--data-dir", os.path.join(self.directory, "data"), "--socket", self.socket,
             "--embedder", "hashing", "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                with MemosClient(self.socket) as probe:
                    probe.health()
                return
            except memos_client.MemosError:
                time.sleep(0.01)
        raise RuntimeError("memosd did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


@unittest.skipUnless(os.path.exists(os.path.join(BIN, "memosd")), "memosd is not built (swift build)")
class ClientTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = LiveDaemon()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def client(self, namespace):
        return MemosClient(self.daemon.socket, namespace=namespace, agent="py-test")

    def test_every_memory_method_round_trips(self):
        m = self.client("py-memories")
        first = m.add("Caroline moved to Berlin in 2022", tags=["travel"], session="s1", attributes={"city": "Berlin"},
                      importance=0.7, occurred_at="2022-03-01T09:00:00Z", speaker="Caroline")
        self.assertEqual(first["version"], 1)
        ids = m.add_many([{"text": "Melanie paints sunsets", "session": "s1"}, {"text": "a note for later", "ttl_seconds": 3600}])
        self.assertEqual(len(ids), 2)
        memory = m.get(first["id"])["memory"]
        self.assertEqual((memory["text"], memory["speaker"], memory["agent"], memory["attributes"]),
                         ("Caroline moved to Berlin in 2022", "Caroline", "py-test", {"city": "Berlin"}))
        hits = m.recall("where does Caroline live", k=3, explain=True)
        self.assertEqual(hits[0]["id"], first["id"])
        self.assertIn("signals", hits[0])
        updated = m.update(first["id"], text="Caroline moved to Munich in 2023", expected_version=1)
        self.assertEqual(updated["version"], 2)
        versions = m.history(first["id"])
        self.assertEqual([v["version"] for v in versions], [1, 2])
        self.assertEqual(m.get(first["id"], version=1)["version"]["text"], "Caroline moved to Berlin in 2022")
        self.assertEqual(m.revert(first["id"], to_version=1)["version"], 3)
        link = m.link(first["id"], ids[0], type="mentioned_with", weight=0.5)
        self.assertEqual(link["type"], "mentioned_with")
        neighbors = m.neighbors(first["id"])
        self.assertTrue(any(n["id"] == ids[0] for n in neighbors["neighbors"]))
        listed = list(m.list(page_size=1))
        self.assertEqual(len(listed), 3, "the iterator walks every page")
        self.assertEqual(len(list(m.list(filter={"speaker": "Caroline"}))), 1)
        forgot = m.forget(ids[1])
        self.assertEqual(forgot["forgotten"], 1)
        self.assertEqual(m.forget([ids[0]], purge=True)["forgotten"], 1)
        with self.assertRaises(memos_client.Gone):
            m.get(ids[0])

    def test_a_conversation_is_recalled_by_speaker(self):
        m = self.client("py-chat")
        result = m.ingest([
            {"role": "user", "name": "Dana", "content": "I adopted a dog last week, a beagle called Biscuit.", "id": "m1",
             "timestamp": "2023-05-08T13:56:00Z"},
            {"role": "user", "name": "Sam", "content": "I went hiking in the Alps with my sister.", "id": "m2"},
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "name": "Dana", "content": "Biscuit chewed my shoes, but I love him.", "id": "m3"},
        ], session="chat-1")
        self.assertEqual((result["stored"], result["skipped"]), (3, 1))
        hits = m.recall("what did Dana say about her dog", filter={"speaker": "Dana"})
        self.assertTrue(hits and all(h["speaker"] == "Dana" for h in hits))
        self.assertIn("adopted a dog", hits[0]["text"])
        again = m.ingest([{"role": "user", "name": "Dana", "content": "I adopted a dog last week, a beagle called Biscuit.", "id": "m1"}],
                         session="chat-1")
        self.assertEqual(again["duplicates"], 1)

    def test_payloads_travel_as_descriptors(self):
        m = self.client("py-payloads")
        with tempfile.TemporaryDirectory() as directory:
            source, out = os.path.join(directory, "kv.safetensors"), os.path.join(directory, "out.safetensors")
            with open(source, "wb") as f:
                f.write(kv_snapshot())
            added = m.add("KV of a greeting", kind="activation", format="safetensors", model="llama", file=source)
            m.get(added["id"], out=out)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), kv_snapshot())
            data = m.get(added["id"], include_data=True)["data"]
            self.assertEqual(base64.b64decode(data), kv_snapshot())
            other = m.add(kind="activation", format="safetensors", model="llama", data=base64.b64encode(kv_snapshot(3)).decode())
            composed = m.compose([added["id"], other["id"]], text="both")
            self.assertIn("id", composed)
            adapters = [m.add(kind="parameter", format="safetensors", model="llama",
                              data=base64.b64encode(lora_adapter(rank)).decode())["id"] for rank in (2, 4)]
            fused = m.fuse(adapters, weights=[0.7, 0.3], method="cat")
            self.assertIn("id", fused)

    def test_export_import_scheduler_consolidation_and_the_daemon(self):
        m = self.client("py-admin")
        a = m.add("the team meets on Tuesdays")["id"]
        m.add("the team meets on Tuesdays at ten")
        records = list(m.export(page_size=1))
        self.assertEqual(records[0]["type"], "header")
        self.assertEqual(m.import_records(records)["skipped"], 2, "importing into the same namespace skips what is there")
        self.assertEqual(m.pin(a)["pinned"], True)
        self.assertEqual(m.unpin(a)["pinned"], False)
        self.assertEqual(m.touch([a, a])["touched"], 2)
        self.assertEqual(m.demote(a, tier="archive")["to"], "archive")
        self.assertEqual(m.promote(a)["to"], "active")
        self.assertIn("tiers", m.scheduler_status(events=3))
        run = m.consolidate(dry_run=True)
        self.assertIn("run_id", run)
        self.assertEqual(m.consolidation_report(run["run_id"])["dry_run"], True)
        self.assertEqual(m.health()["status"], "ok")
        self.assertTrue(any(n["namespace"] == "py-admin" for n in m.stats()["namespaces"]))
        self.assertTrue(any(n["namespace"] == "py-admin" for n in m.namespaces()))
        self.assertTrue(all(c["ok"] for c in m.doctor()["checks"]))
        self.assertIn("pending", m.reindex())
        shared = m.share(4321)
        self.assertEqual(shared["access"], "read")
        self.assertEqual(m.unshare(4321)["removed"], "read")
        with tempfile.TemporaryDirectory() as directory:
            backup = m.backup(os.path.join(directory, "backup"))
            self.assertGreater(backup["memories"], 0)

    def test_errors_carry_memosds_code_name_and_field(self):
        m = self.client("py-errors")
        with self.assertRaises(memos_client.InvalidParams) as caught:
            m.add("x", importance=3)
        self.assertEqual((caught.exception.code, caught.exception.name, caught.exception.field),
                         (-32602, "invalid_params", "params.importance"))
        with self.assertRaises(memos_client.NotFound):
            m.get("01M810J6KFPRWC6EF0S5SE9RZ0")
        first = m.add("v1")["id"]
        with self.assertRaises(memos_client.VersionConflict):
            m.update(first, text="v2", expected_version=7)
        with self.assertRaises(memos_client.MethodNotFound):
            m.call("memory.nope")
        with self.assertRaises(memos_client.MemosUnavailable):
            MemosClient(os.path.join(self.daemon.directory, "absent.sock")).health()


class OfflineTests(unittest.TestCase):
    def test_the_error_classes_follow_the_schema(self):
        with open(os.path.join(REPO, "schemas", "memos.schema.json")) as f:
            schema = json.load(f)
        names = set(schema["$defs"]["error"]["properties"]["data"]["properties"]["name"]["enum"])
        codes = set(schema["$defs"]["error"]["properties"]["code"]["enum"])
        classes = [c for c in memos_client.MemosError.__subclasses__() if c.name]
        self.assertEqual({c.name for c in classes}, names)
        self.assertEqual({c.code for c in classes}, codes)

    def test_the_socket_is_found_the_way_memctl_finds_it(self):
        find = memos_client.default_socket_path
        self.assertEqual(find({"MEMOS_SOCKET": "/s"}), "/s")
        self.assertEqual(find({"XDG_RUNTIME_DIR": "/run/user/7"}), "/run/user/7/memos/memosd.sock")
        self.assertEqual(find({"HOME": "/home/a"}), "/home/a/.local/share/memos/memosd.sock")
        self.assertEqual(find({"XDG_DATA_HOME": "/d", "HOME": "/home/a"}), "/d/memos/memosd.sock")


if __name__ == "__main__":
    unittest.main()
