"""Where one message's time goes, measured inside a Rasa process (used by benchmark.py).

Loads the trained model in this process with the real action server (over HTTP, as in
production) and a SQLite tracker store (a scratch file), wraps the stages of
MessageProcessor.handle_message with timers, and replays scripted conversations:

    python -m benchmarks.profile_turn --model M --action-url URL --db F --scripts S.json --out O.json

S.json: {"conversations": [[text, ...], ...], "long": [text, ...]}. O.json: per stage,
the median milliseconds per user message (short conversations, and the first and last
turns of the long one), plus the top functions of a cProfile run.
"""

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import statistics
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Dict, List


STAGES = [
    "tracker_load",
    "nlu",
    "policies",
    "action_server_http",
    "action_response_validation",
    "tracker_copy",
    "tracker_save",
]


class Timers:
    def __init__(self) -> None:
        self.ms: Dict[str, float] = defaultdict(float)
        self.calls: Dict[str, int] = defaultdict(int)

    def reset(self) -> None:
        self.ms.clear()
        self.calls.clear()

    def add(self, stage: str, seconds: float) -> None:
        self.ms[stage] += seconds * 1000
        self.calls[stage] += 1


TIMERS = Timers()
# Exclusive times: a stage running inside another (a tracker copy inside a policy, say)
# is counted once, for the inner stage. Messages are handled one at a time here.
_STACK: List[List[float]] = []


def _enter() -> None:
    _STACK.append([time.perf_counter(), 0.0])


def _leave(stage: str) -> None:
    start, nested = _STACK.pop()
    elapsed = time.perf_counter() - start
    TIMERS.add(stage, elapsed - nested)
    if _STACK:
        _STACK[-1][1] += elapsed


def _wrap_async(cls, name: str, stage: str) -> None:
    original = getattr(cls, name)

    async def wrapper(*args, **kwargs):
        _enter()
        try:
            return await original(*args, **kwargs)
        finally:
            _leave(stage)

    setattr(cls, name, wrapper)


def _wrap_sync(cls, name: str, stage: str) -> None:
    original = getattr(cls, name)

    def wrapper(*args, **kwargs):
        _enter()
        try:
            return original(*args, **kwargs)
        finally:
            _leave(stage)

    setattr(cls, name, wrapper)


def instrument() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    import rasa_patches  # patch first, so the timer wraps it

    rasa_patches.apply()
    from stores.erasable_sql_tracker_store import ErasableSQLTrackerStore

    _wrap_async(ErasableSQLTrackerStore, "retrieve", "tracker_load")
    _wrap_async(ErasableSQLTrackerStore, "save", "tracker_save")
    _wrap_async(MessageProcessor, "parse_message", "nlu")
    _wrap_sync(MessageProcessor, "_predict_next_with_tracker", "policies")
    _wrap_async(EndpointConfig, "request", "action_server_http")
    _wrap_sync(DialogueStateTracker, "copy", "tracker_copy")
    # jsonschema.validate of every action server response (re-checks the schema each time)
    _wrap_sync(RemoteAction, "_validate_action_result", "action_response_validation")


async def handle(agent, sender: str, text: str) -> Dict[str, float]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    TIMERS.reset()
    _STACK.clear()
    start = time.perf_counter()
    await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest"))
    total = (time.perf_counter() - start) * 1000
    row = {stage: TIMERS.ms.get(stage, 0.0) for stage in STAGES}
    row["action_server_calls"] = TIMERS.calls.get("action_server_http", 0)
    row["tracker_copies"] = TIMERS.calls.get("tracker_copy", 0)
    row["total"] = total
    row["other"] = total - sum(row[s] for s in STAGES)
    return row


def medians(rows: List[Dict[str, float]]) -> Dict[str, float]:
    if not rows:
        return {}
    return {key: round(statistics.median(r[key] for r in rows), 2) for key in rows[0]}


async def main(args: argparse.Namespace) -> dict:
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from stores.erasable_sql_tracker_store import ErasableSQLTrackerStore

    scripts = json.loads(Path(args.scripts).read_text())
    instrument()
    load_start = time.perf_counter()
    # the domain comes with the model; the store only needs one for deserialising
    agent = Agent.load(args.model, action_endpoint=EndpointConfig(args.action_url))
    # the store endpoints.yml configures
    agent.tracker_store = ErasableSQLTrackerStore(domain=agent.domain, dialect="sqlite", db=args.db)
    agent.processor.tracker_store = agent.tracker_store
    load_seconds = time.perf_counter() - load_start

    # warm up (first TF call builds graphs)
    for text in scripts["conversations"][0][:3]:
        await handle(agent, f"warm-{uuid.uuid4().hex}", text)

    short_rows: List[Dict[str, float]] = []
    for turns in scripts["conversations"]:
        sender = f"prof-{uuid.uuid4().hex}"
        for text in turns:
            short_rows.append(await handle(agent, sender, text))

    long_rows: List[List[Dict[str, float]]] = []
    for _ in range(args.long_repeats):
        sender = f"prof-long-{uuid.uuid4().hex}"
        long_rows.append([await handle(agent, sender, text) for text in scripts["long"]])
    n = len(scripts["long"])
    first = [rows[i] for rows in long_rows for i in range(0, min(3, n))]
    last = [rows[i] for rows in long_rows for i in range(max(0, n - 3), n)]

    # one cProfile pass over a short conversation and the long one
    profiler = cProfile.Profile()
    profiler.enable()
    sender = f"prof-cp-{uuid.uuid4().hex}"
    for text in scripts["conversations"][0]:
        await handle(agent, sender, text)
    sender = f"prof-cp-long-{uuid.uuid4().hex}"
    for text in scripts["long"]:
        await handle(agent, sender, text)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(40)
    top_cumulative = stream.getvalue()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(25)
    top_self = stream.getvalue()

    return {
        "model_load_seconds": round(load_seconds, 1),
        "short_turns": medians(short_rows),
        "short_turn_count": len(short_rows),
        "long_first_turns": medians(first),
        "long_last_turns": medians(last),
        "long_turns": n,
        "cprofile_cumulative": top_cumulative,
        "cprofile_self": top_self,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--action-url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--scripts", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--long-repeats", type=int, default=2)
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments))
    Path(arguments.out).write_text(json.dumps(result, indent=2))
