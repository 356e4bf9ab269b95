"""Load on the REST channel from virtual users (asyncio + aiohttp), on 127.0.0.1 only.

Two kinds: `scripted_load` replays fixed conversations for a bounded number of messages
or seconds and times each message (the benchmark); `play_conversations` plays whole
vignettes, reading the tracker after every turn as tools/vignettes.py does, and counts
every HTTP status on the way (the soak test).
"""

import asyncio
import json
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp

from tools.stats import percentile, rounded
from tools.vignettes import next_move

REQUEST_TIMEOUT = 60  # seconds per HTTP request under benchmark load
Messages = List[Dict[str, Any]]


def client_session(users: int, timeout: float = REQUEST_TIMEOUT) -> aiohttp.ClientSession:
    """One session for all users, with a connection each (and a few spare)."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout), connector=aiohttp.TCPConnector(limit=users + 4)
    )


async def post_message(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> Tuple[float, Messages]:
    """One message; its latency in ms and the bot's messages. Raises on an HTTP error."""
    start = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        body = await response.json(content_type=None)
        response.raise_for_status()
    return (time.perf_counter() - start) * 1000, body or []


def _concluded(messages: Messages) -> bool:
    return any((m.get("custom") or {}).get("type") == "assessment" for m in messages)


# ---- scripted conversations, bounded (the benchmark) -----------------------------------


async def scripted_load(
    url: str,
    name: str,
    conversations: List[List[str]],
    users: int,
    max_messages: int,
    max_seconds: float,
    expect_conclusion: bool,
) -> Dict[str, object]:
    """`users` virtual users, each playing whole conversations one after another."""
    latencies: List[float] = []
    errors: List[str] = []
    counters = {"sent": 0, "conversations": 0, "complete": 0, "concluded": 0, "empty": 0}
    next_conversation = 0
    start = time.perf_counter()
    deadline = start + max_seconds
    finished = start

    async def user(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal next_conversation, finished
        while True:
            turns = conversations[next_conversation % len(conversations)]
            next_conversation += 1
            sender = f"bench-{name}-{users}-{index}-{uuid.uuid4().hex[:12]}"
            counters["conversations"] += 1
            last: Messages = []
            for text in turns:
                if counters["sent"] >= max_messages or time.perf_counter() >= deadline:
                    return
                counters["sent"] += 1
                try:
                    ms, last = await post_message(session, url, sender, text)
                except Exception as error:  # noqa: BLE001 - counted, reported
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    break
                latencies.append(ms)
                if not last:
                    counters["empty"] += 1
                finished = time.perf_counter()
            else:
                counters["complete"] += 1
                if _concluded(last):
                    counters["concluded"] += 1

    async with client_session(users) as session:
        await asyncio.gather(*(user(session, i) for i in range(users)))
    elapsed = max(finished - start, 1e-9)
    result: Dict[str, object] = {
        "users": users,
        "messages": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "seconds": round(elapsed, 2),
        "throughput": round(len(latencies) / elapsed, 2),
        "p50": rounded(percentile(latencies, 50)),
        "p95": rounded(percentile(latencies, 95)),
        "p99": rounded(percentile(latencies, 99)),
        "mean": rounded(statistics.fmean(latencies)) if latencies else None,
        **counters,
    }
    if not expect_conclusion:
        result.pop("concluded")
    return result


# ---- whole vignettes, every status counted (the soak test) ------------------------------


@dataclass
class Conversation:
    index: int
    vignette: dict
    sender: str
    sent: List[Tuple[str, bool]] = field(default_factory=list)  # (text, acknowledged with 2xx)
    received: List[str] = field(default_factory=list)  # bot messages, as the person got them
    level: Optional[str] = None
    causes: List[str] = field(default_factory=list)
    answers: int = 0
    error: Optional[str] = None  # why it stopped early (HTTP error, stuck)
    seconds: float = 0.0


@dataclass
class Traffic:
    """Every request's outcome: statuses by kind ("webhook", "tracker"), connection errors
    by kind and exception, the first error messages, and latencies."""

    statuses: Dict[str, Counter] = field(default_factory=lambda: {"webhook": Counter(), "tracker": Counter()})
    connection_errors: Counter = field(default_factory=Counter)  # "webhook: ClientOSError"
    error_samples: List[str] = field(default_factory=list)
    message_ms: List[float] = field(default_factory=list)
    tracker_ms: List[float] = field(default_factory=list)
    done: int = 0  # conversations finished

    def note_error(self, text: str) -> None:
        if len(self.error_samples) < 10:
            self.error_samples.append(text[:300])


def bot_message_key(message: dict) -> str:
    """One bot message as the person got it, for comparing with the stored bot events."""
    if message.get("text"):
        return message["text"].strip()
    return json.dumps({k: message.get(k) for k in ("image", "custom", "attachment") if message.get(k)}, sort_keys=True)


async def request(
    session: aiohttp.ClientSession, traffic: Traffic, kind: str, method: str, url: str, **kwargs: Any
) -> Tuple[Optional[int], Any]:
    """One HTTP request, counted; its status (None on a connection error) and JSON body."""
    start = time.perf_counter()
    try:
        async with session.request(method, url, **kwargs) as response:
            raw = await response.read()
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
        name = "Timeout" if isinstance(error, asyncio.TimeoutError) else type(error).__name__
        traffic.connection_errors[f"{kind}: {name}"] += 1
        traffic.note_error(f"{kind} {method} {url}: {name}: {error}")
        return None, None
    ms = (time.perf_counter() - start) * 1000
    traffic.statuses[kind][status] += 1
    (traffic.message_ms if kind == "webhook" else traffic.tracker_ms).append(ms)
    if status >= 300:
        traffic.note_error(f"{kind} {method} {url}: HTTP {status}: {raw[:200]!r}")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return status, body


async def play_conversation(
    session: aiohttp.ClientSession, url: str, token: str, traffic: Traffic, conversation: Conversation
) -> None:
    """One whole vignette: the opening, then after every turn a tracker read says what is
    asked, answered from the vignette, until `triage_level` is set. A message that gets
    no 2xx ends the conversation (no retry)."""
    start = time.perf_counter()

    async def say(text: str) -> bool:
        status, body = await request(
            session,
            traffic,
            "webhook",
            "POST",
            f"{url}/webhooks/rest/webhook",
            json={"sender": conversation.sender, "message": text},
        )
        ok = status is not None and 200 <= status < 300
        conversation.sent.append((text, ok))
        if not ok:
            conversation.error = f"POST {text!r}: {'connection error' if status is None else status}"
            return False
        conversation.received += [bot_message_key(m) for m in body or []]
        return True

    try:
        if not await say(conversation.vignette["opening"]):
            return
        while True:
            status, body = await request(
                session,
                traffic,
                "tracker",
                "GET",
                f"{url}/conversations/{conversation.sender}/tracker",
                params={"token": token},
            )
            if status != 200 or not isinstance(body, dict):
                conversation.error = f"GET tracker: {status}"
                return
            slots = body.get("slots") or {}
            move = next_move(conversation.vignette, slots, conversation.answers)
            if move.error:
                conversation.error = f"stuck: {move.error}"
                return
            if move.reply is None:
                conversation.level = slots["triage_level"]
                conversation.causes = list(slots.get("likely_causes") or [])
                return
            conversation.answers += 1
            if not await say(move.reply):
                return
    finally:
        conversation.seconds = time.perf_counter() - start
        traffic.done += 1


async def play_conversations(
    url: str,
    token: str,
    conversations: List[Conversation],
    users: int,
    traffic: Traffic,
    log: Callable[[str], None],
    timeout: float,
) -> None:
    """`users` virtual users take conversations from one queue until it is empty."""
    queue: asyncio.Queue = asyncio.Queue()
    for conversation in conversations:
        queue.put_nowait(conversation)
    every = max(1, len(conversations) // 10)

    async def user(session: aiohttp.ClientSession) -> None:
        while True:
            try:
                conversation = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await play_conversation(session, url, token, traffic, conversation)
            if traffic.done % every == 0:
                log(f"  {traffic.done}/{len(conversations)} conversations, {len(traffic.message_ms)} messages")

    async with client_session(users, timeout) as session:
        await asyncio.gather(*(user(session) for _ in range(users)))


async def fetch_trackers(url: str, token: str, senders: List[str], timeout: float) -> Dict[str, Optional[dict]]:
    """Every sender's tracker, four reads at a time, three tries each (None if unreadable)."""
    trackers: Dict[str, Optional[dict]] = {}
    semaphore = asyncio.Semaphore(4)

    async def fetch(session: aiohttp.ClientSession, sender: str) -> None:
        async with semaphore:
            for _ in range(3):
                try:
                    async with session.get(
                        f"{url}/conversations/{sender}/tracker", params={"token": token}
                    ) as response:
                        if response.status == 200:
                            trackers[sender] = await response.json()
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(1)
            trackers[sender] = None

    async with client_session(4, timeout) as session:
        await asyncio.gather(*(fetch(session, s) for s in senders))
    return trackers
