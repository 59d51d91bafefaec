"""A blocking JSON-RPC client for memosd over its Unix socket.

One connection, opened on first use and reused; not thread-safe (use one
client per thread). memosd closes connections idle longer than its
--idle-timeout: a reused connection found closed before any reply byte is
opened again and the request sent once more (memosd never saw it).
"""

import json
import os
import socket
import struct

from .errors import MemosUnavailable, ProtocolError, UntrustedServer, error_from_reply

__all__ = ["MemosClient", "default_socket_path"]


def default_socket_path(environ=None):
    """Where memosd listens by default, found the way memctl finds it."""
    env = os.environ if environ is None else environ
    if env.get("MEMOS_SOCKET"):
        return env["MEMOS_SOCKET"]
    if env.get("XDG_RUNTIME_DIR"):
        return os.path.join(env["XDG_RUNTIME_DIR"], "memos", "memosd.sock")
    data_home = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME", "/tmp"), ".local", "share")
    return os.path.join(data_home, "memos", "memosd.sock")


class _Closed(Exception):
    """The connection closed before any reply byte."""


class MemosClient:
    """memosd's protocol as Python methods; results are plain dicts.

    `namespace` is the default for every method that takes one (each also
    takes `namespace=` to override it). `timeout` bounds each reply, in
    seconds. `trust_uid`: a user id, other than yours or root, whose memosd
    you trust (by default a socket served by anyone else gets nothing).
    """

    def __del__(self):
        self.close()

    def __init__(self, socket_path=None, namespace="default", timeout=30, trust_uid=None, agent=None):
        self.socket_path = socket_path or default_socket_path()
        self.namespace = namespace
        self.timeout = timeout
        self.agent = agent
        self._trusted = {os.getuid(), 0} | ({int(trust_uid)} if trust_uid is not None else set())
        self._sock = None
        self._buffer = b""
        self._next_id = 1

    # -- the connection ------------------------------------------------

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._buffer = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _connect(self):
        if self._sock is not None:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError as error:
            sock.close()
            raise MemosUnavailable(
                "cannot reach memosd at %s (%s); start it with `memosd` (or `make run`), or pass socket_path"
                % (self.socket_path, error.strerror or error)) from None
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        if uid not in self._trusted:
            sock.close()
            raise UntrustedServer(
                "the socket %s is served by user %d, not by you (uid %d); nothing was sent. "
                "If you trust that user's memosd, pass trust_uid=%d" % (self.socket_path, uid, os.getuid(), uid))
        self._sock = sock

    def _exchange(self, line, fds):
        self._connect()
        try:
            if fds:
                socket.send_fds(self._sock, [line], list(fds))
            else:
                self._sock.sendall(line)
            while b"\n" not in self._buffer:
                chunk = self._sock.recv(65536)
                if not chunk:
                    self.close()
                    raise _Closed()
                self._buffer += chunk
        except (BrokenPipeError, ConnectionResetError):
            self.close()
            raise _Closed() from None
        except socket.timeout:
            self.close()
            raise ProtocolError("memosd did not answer within %s s" % self.timeout) from None
        reply, _, self._buffer = self._buffer.partition(b"\n")
        return reply

    def call(self, method, params=None, fds=()):
        """Sends one request and returns its result; memosd's error raises a MemosError.

        `fds`: open file descriptors passed with the request (SCM_RIGHTS);
        params name them by position (`fd: 0`, `export_fd: 0`).
        """
        request_id = self._next_id
        self._next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}},
                          ensure_ascii=False).encode() + b"\n"
        reused = self._sock is not None
        try:
            reply = self._exchange(line, fds)
        except _Closed:
            if not reused:
                raise ProtocolError("memosd closed the connection") from None
            try:
                reply = self._exchange(line, fds)
            except _Closed:
                raise ProtocolError("memosd closed the connection") from None
        try:
            response = json.loads(reply)
        except ValueError as error:
            raise ProtocolError("a reply that is not JSON: %s" % error) from None
        if response.get("error") is not None:
            raise error_from_reply(response["error"])
        if "result" not in response:
            raise ProtocolError("a reply with neither result nor error")
        return response["result"]

    def _ns(self, namespace):
        return namespace or self.namespace

    @staticmethod
    def _params(**values):
        return {key: value for key, value in values.items() if value is not None}

    # -- memories ------------------------------------------------------

    def add(self, text=None, namespace=None, file=None, **fields):
        """Stores one memory; returns {"id", "version"}.

        `fields`: tags, agent, session, speaker, attributes, importance,
        occurred_at, source, ttl_seconds, entities, kind, format, model, meta,
        derived_from, data (docs/protocol.md). `file`: a payload file
        (activation or parameter memories), opened here and passed as a
        descriptor.
        """
        params = self._params(namespace=self._ns(namespace), text=text, **fields)
        if self.agent and "agent" not in params:
            params["agent"] = self.agent
        if file is None:
            return self.call("memory.add", params)
        fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
        try:
            params["fd"] = 0
            return self.call("memory.add", params, fds=[fd])
        finally:
            os.close(fd)

    def add_many(self, items, namespace=None):
        """Stores a batch (each item a dict of add's fields, `text` among them), all or none; returns the ids."""
        return self.call("memory.add", {"namespace": self._ns(namespace), "items": list(items)})["ids"]

    def ingest(self, messages, session=None, agent=None, namespace=None, roles=None, tags=None, split_chars=None, extract=None):
        """Stores a conversation: each message {role, name?, content, timestamp?, id?} becomes a memory with its speaker."""
        return self.call("memory.ingest", self._params(
            namespace=self._ns(namespace), session=session, agent=agent or self.agent, messages=list(messages),
            roles=roles, tags=tags, split_chars=split_chars, extract=extract))

    def recall(self, query, k=None, filter=None, explain=None, namespace=None, **options):
        """The memories that answer `query`, best first (a list of hits). `options`: weights, fusion, diversity, summaries."""
        return self.call("memory.recall", self._params(
            namespace=self._ns(namespace), query=query, k=k, filter=filter, explain=explain, **options))["hits"]

    def get(self, id, version=None, include_data=None, out=None, namespace=None):
        """A memory ({"memory": ...}), or with `version` that version. `out`: write its payload to this file."""
        params = self._params(namespace=self._ns(namespace), id=id, version=version, include_data=include_data)
        if out is None:
            return self.call("memory.get", params)
        created = not os.path.exists(out)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            params["export_fd"] = 0
            return self.call("memory.get", params, fds=[fd])
        except Exception:
            if created:
                os.unlink(out)
            raise
        finally:
            os.close(fd)

    def update(self, id, expected_version=None, namespace=None, **changes):
        """Changes a memory (text, tags, attributes, importance, session, occurred_at, ttl_seconds, valid_to); a new version."""
        return self.call("memory.update", self._params(
            namespace=self._ns(namespace), id=id, expected_version=expected_version, agent=self.agent, **changes))

    def history(self, id, namespace=None):
        """Every version of a memory, oldest first."""
        return self.call("memory.history", {"namespace": self._ns(namespace), "id": id})["versions"]

    def revert(self, id, to_version, expected_version=None, namespace=None):
        """A new version restoring `to_version`."""
        return self.call("memory.revert", self._params(
            namespace=self._ns(namespace), id=id, to_version=to_version, expected_version=expected_version, agent=self.agent))

    def forget(self, ids, purge=None, namespace=None):
        """Forgets one id or a list of ids (out of recall, kept in history); `purge=True` erases them."""
        many = not isinstance(ids, str)
        return self.call("memory.forget", self._params(
            namespace=self._ns(namespace), id=None if many else ids, ids=list(ids) if many else None, purge=purge,
            agent=self.agent))

    def _pages(self, method, params, items, cursor_key):
        """Every item of a paged method: `params` plus each page's cursor, until a page has none."""
        cursor = None
        while True:
            page = self.call(method, self._params(cursor=cursor, **params))
            for item in page[items]:
                yield item
            cursor = page.get(cursor_key)
            if not cursor:
                return

    def list(self, filter=None, page_size=100, namespace=None):
        """Every memory matching `filter`, newest first: an iterator that fetches pages as it goes."""
        return self._pages("memory.list", {"namespace": self._ns(namespace), "filter": filter, "limit": page_size},
                           "memories", "next_cursor")

    def link(self, from_id, to_id, type=None, weight=None, namespace=None):
        """Links two memories (a typed, weighted edge)."""
        return self.call("memory.link", self._params(
            namespace=self._ns(namespace), to=to_id, type=type, weight=weight, agent=self.agent, **{"from": from_id}))

    def neighbors(self, id, limit=None, namespace=None):
        """A memory's links, entities and the memories that share them."""
        return self.call("graph.neighbors", self._params(namespace=self._ns(namespace), id=id, limit=limit))

    def fuse(self, ids, weights=None, method=None, text=None, namespace=None, **fields):
        return self.call("memory.fuse", self._params(
            namespace=self._ns(namespace), ids=list(ids), weights=weights, method=method, text=text, **fields))

    def compose(self, ids, text=None, namespace=None, **fields):
        return self.call("memory.compose", self._params(namespace=self._ns(namespace), ids=list(ids), text=text, **fields))

    # -- moving data in and out -----------------------------------------

    def export(self, payloads=None, namespace=None, page_size=None):
        """The namespace as records (header, memories, links): an iterator over pages."""
        return self._pages("memory.export", {"namespace": self._ns(namespace), "limit": page_size, "payloads": payloads},
                           "records", "cursor")

    def import_records(self, records, format=None, namespace=None, batch=500):
        """Stores exported records (or, with format="mem0", a Mem0 export's memories); returns the summed result."""
        records = list(records)
        total = {"imported": 0, "skipped": 0, "links": 0, "links_skipped": 0, "ids": []}
        for start in range(0, len(records), batch):
            result = self.call("memory.import", self._params(
                namespace=self._ns(namespace), records=records[start:start + batch], format=format, agent=self.agent))
            for key in ("imported", "skipped", "links", "links_skipped"):
                total[key] += result[key]
            total["ids"] += result["ids"]
        return total

    # -- the scheduler and consolidation --------------------------------

    def scheduler_status(self, events=None):
        return self.call("scheduler.status", self._params(events=events))

    def promote(self, id, tier=None, namespace=None):
        return self.call("scheduler.promote", self._params(namespace=self._ns(namespace), id=id, tier=tier))

    def demote(self, id, tier=None, namespace=None):
        return self.call("scheduler.demote", self._params(namespace=self._ns(namespace), id=id, tier=tier))

    def pin(self, id, namespace=None):
        return self.call("scheduler.pin", {"namespace": self._ns(namespace), "id": id})

    def unpin(self, id, namespace=None):
        return self.call("scheduler.unpin", {"namespace": self._ns(namespace), "id": id})

    def touch(self, ids, namespace=None):
        return self.call("scheduler.touch", {"namespace": self._ns(namespace), "ids": list(ids)})

    def consolidate(self, namespace=None, all=None, dry_run=None, steps=None, wait=None):
        """Runs consolidation on the namespace (or, as memosd's own user, `all`); returns {"run_id", "report"}."""
        target = None if all else self._ns(namespace)
        return self.call("consolidate.run", self._params(namespace=target, all=all, dry_run=dry_run, steps=steps, wait=wait))

    def consolidation_status(self, run_id=None):
        return self.call("consolidate.status", self._params(run_id=run_id))

    def consolidation_report(self, run_id):
        return self.call("consolidate.report", {"run_id": run_id})["report"]

    def undo_consolidation(self, run_id):
        return self.call("consolidate.undo", {"run_id": run_id})

    # -- namespaces and the daemon ---------------------------------------

    def namespaces(self):
        return self.call("namespace.list")["namespaces"]

    def share(self, uid, access=None, namespace=None):
        return self.call("namespace.share", self._params(namespace=self._ns(namespace), uid=uid, access=access))

    def unshare(self, uid, namespace=None):
        return self.call("namespace.unshare", {"namespace": self._ns(namespace), "uid": uid})

    def health(self):
        return self.call("system.health")

    def stats(self):
        return self.call("system.stats")

    def reindex(self, wait=None):
        return self.call("system.reindex", self._params(wait=wait))

    def doctor(self):
        return self.call("system.doctor")

    def backup(self, directory):
        return self.call("system.backup", {"dir": os.path.abspath(directory)})
