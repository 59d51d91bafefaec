"""A small agent loop with memos: recall before answering, ingest after each exchange.

    python3 clients/python/examples/agent_loop.py --user Dana

Type messages; the "agent" (no LLM here: it answers with what it remembers)
recalls what it knows that bears on each message, replies, and stores the
exchange as conversation turns. Run it twice: the second run remembers the first.
Swap `reply()` for your model call; keep the recall/ingest around it.
"""

import argparse
import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # run from a checkout without installing
from memos_client import MemosClient, MemosUnavailable  # noqa: E402


def reply(message, memories):
    """Stands in for the model: what memory says about the message."""
    if not memories:
        return "I don't remember anything about that yet."
    lines = ["%s said: %s" % (m.get("speaker", "someone"), m["text"]) for m in memories[:3]]
    return "Here is what I remember:\n  " + "\n  ".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", default="user", help="your name (the speaker of your turns)")
    parser.add_argument("--namespace", default="agent-loop")
    parser.add_argument("--session", default=datetime.now(timezone.utc).strftime("chat-%Y%m%d"))
    args = parser.parse_args()
    memos = MemosClient(namespace=args.namespace, agent="agent-loop")
    try:
        memos.health()
    except MemosUnavailable as error:
        sys.exit(str(error))
    for line in sys.stdin:
        message = line.strip()
        if not message:
            continue
        # 1. Recall before answering.
        memories = memos.recall(message, k=5)
        answer = reply(message, memories)
        print(answer, flush=True)
        # 2. Ingest the exchange (re-sending is harmless: same content, same session -> stored once).
        now = datetime.now(timezone.utc).isoformat()
        memos.ingest([
            {"role": "user", "name": args.user, "content": message, "timestamp": now},
            {"role": "assistant", "content": answer, "timestamp": now},
        ], session=args.session)


if __name__ == "__main__":
    main()
