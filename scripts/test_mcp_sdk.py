#!/usr/bin/env python3
"""`memctl mcp` against the official MCP Python SDK (an independent client).

Usage: test_mcp_sdk.py BIN_DIR   (BIN_DIR holds the built memosd and memctl)
Run by `make test` from a venv with `pip install mcp` (.build/mcp-venv).

Starts a memosd of its own (hashing embedder, temp directory), then for each
negotiation the SDK offers — `server/discover` (2026-07-28) and the
`initialize` handshake — lists the tools and calls every one, including
wrong arguments (a tool error, never a crash). A raw `initialize` at
2025-06-18 checks the older handshake. Exits non-zero on any failure.
"""

import asyncio
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

TOOLS = {"add_memory", "search_memory", "ingest_conversation", "get_memory", "memory_history", "list_memories",
         "forget_memory", "consolidate"}


def field(obj, snake, camel):
    """A result attribute: mcp 2.x spells it snake_case, 1.x camelCase."""
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def structured(result, what):
    check(not field(result, "is_error", "isError"), "%s failed: %s" % (what, result.content))
    output = field(result, "structured_content", "structuredContent")
    check(output is not None, "%s has structured output" % what)
    return output


async def negotiate(session, mode):
    if mode == "initialize":
        await session.initialize()
    else:
        from mcp.client._probe import negotiate_auto
        await negotiate_auto(session)
    return session.protocol_version


async def exercise(memctl, socket_path, mode):
    namespace = "mcp-" + mode
    params = StdioServerParameters(command=memctl, args=["mcp", "--socket", socket_path, "-n", namespace, "--agent", "sdk"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            version = await negotiate(session, mode)
            tools = (await session.list_tools()).tools
            check({t.name for t in tools} == TOOLS, "tools/list names every tool: %s" % [t.name for t in tools])
            check(all(field(t, "input_schema", "inputSchema") and field(t, "output_schema", "outputSchema") for t in tools), "every tool has input and output schemas")

            added = structured(await session.call_tool("add_memory", {"text": "The launch is on March 3", "tags": ["plan"]}), "add_memory")
            memory_id = added["id"]
            ingested = structured(await session.call_tool("ingest_conversation", {"session": "chat-1", "messages": [
                {"role": "user", "name": "Dana", "content": "I adopted a dog last week, a beagle called Biscuit.", "id": "m1"},
                {"role": "user", "name": "Sam", "content": "I went hiking in the Alps with my sister.", "id": "m2"},
                {"role": "system", "content": "You are a helpful assistant."},
            ]}), "ingest_conversation")
            check(ingested["stored"] == 2, "two turns stored, the system message skipped: %s" % ingested)
            again = structured(await session.call_tool("ingest_conversation", {"session": "chat-1", "messages": [
                {"role": "user", "name": "Dana", "content": "I adopted a dog last week, a beagle called Biscuit.", "id": "m1"}]}),
                "ingest_conversation again")
            check(again["duplicates"] == 1, "re-sending is harmless")
            hits = structured(await session.call_tool("search_memory", {
                "query": "what did Dana say about her dog", "filter": {"speaker": "Dana"}}), "search_memory")["hits"]
            check(hits and hits[0].get("speaker") == "Dana" and "dog" in hits[0]["text"], "recalled by speaker: %s" % hits)
            got = structured(await session.call_tool("get_memory", {"id": memory_id}), "get_memory")
            check(got["memory"]["text"] == "The launch is on March 3", "get_memory returns the memory")
            history = structured(await session.call_tool("memory_history", {"id": memory_id}), "memory_history")
            check(history["versions"][0]["operation"] == "add", "memory_history lists versions")
            listed = structured(await session.call_tool("list_memories", {"limit": 2}), "list_memories")
            check(len(listed["memories"]) == 2 and "next_cursor" in listed, "list_memories pages: %s" % listed)
            forgot = structured(await session.call_tool("forget_memory", {"id": memory_id}), "forget_memory")
            check(forgot["forgotten"] == 1, "forget_memory forgets")
            run = structured(await session.call_tool("consolidate", {"dry_run": True}), "consolidate")
            check(run["run_id"], "consolidate runs")

            # Wrong arguments and memosd's refusals are tool errors, never a crash.
            for name, arguments in [("add_memory", {"text": 5}), ("add_memory", {}), ("search_memory", {"query": "x", "k": 0}),
                                    ("get_memory", {"id": "not-an-id"}), ("add_memory", {"text": "x", "colour": "red"}),
                                    ("add_memory", {"text": "x", "importance": 3})]:
                result = await session.call_tool(name, arguments)
                check(field(result, "is_error", "isError") and result.content and result.content[0].text, "%s %s is a tool error" % (name, arguments))
            try:
                await session.call_tool("no_such_tool", {})
                raise AssertionError("an unknown tool is a protocol error")
            except MCPError:
                pass
            check(field(await session.call_tool("get_memory", {"id": memory_id}), "is_error", "isError") is False, "still serving after the errors")
            return version, len(tools)


def raw_handshake(memctl, socket_path, version):
    """initialize at `version` by hand; returns the version memctl mcp agreed on."""
    process = subprocess.Popen([memctl, "mcp", "--socket", socket_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
    out, _ = process.communicate(json.dumps(request).encode() + b"\n", timeout=30)
    return json.loads(out.splitlines()[0])["result"]["protocolVersion"]


async def unreachable(memctl, directory):
    params = StdioServerParameters(command=memctl, args=["mcp", "--socket", os.path.join(directory, "absent.sock")])
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("search_memory", {"query": "anything"})
            check(field(result, "is_error", "isError") and "memosd is not running" in result.content[0].text,
                  "without memosd the tools say so: %s" % result.content)


def main():
    bin_dir = sys.argv[1]
    memctl = os.path.join(bin_dir, "memctl")
    directory = tempfile.mkdtemp(prefix="memos-mcp-")
    socket_path = os.path.join(directory, "d.sock")
    daemon = subprocess.Popen([os.path.join(bin_dir, "memosd"), "--data-dir", os.path.join(directory, "data"), "--socket",
                               socket_path, "--embedder", "hashing", "--log-level", "error"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            if os.path.exists(socket_path):
                break
            time.sleep(0.01)
        modern, count = asyncio.run(exercise(memctl, socket_path, "auto"))
        check(modern == "2026-07-28", "the SDK's probe negotiates 2026-07-28 (got %s)" % modern)
        legacy, _ = asyncio.run(exercise(memctl, socket_path, "initialize"))
        check(legacy == "2025-11-25", "the SDK's handshake negotiates 2025-11-25 (got %s)" % legacy)
        older = raw_handshake(memctl, socket_path, "2025-06-18")
        check(older == "2025-06-18", "an initialize at 2025-06-18 keeps it (got %s)" % older)
        asyncio.run(unreachable(memctl, directory))
        print("MCP SDK (mcp %s): protocols %s (server/discover), %s (initialize), %s (initialize, raw); %d tools, every call ok"
              % (importlib.metadata.version("mcp"), modern, legacy, older, count))
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
