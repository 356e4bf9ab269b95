"""Soak test: many full conversations at once against the real servers, then an audit.

    python -m benchmarks.soak [--conversations 200] [--users 20] [--out results/soak]

Starts its own action server and Rasa server (tools/servers.py: REST channel, token API,
a fresh SQLite tracker store) and has `--users` virtual users on 127.0.0.1 play
`--conversations` whole conversations from tests/vignettes.yml (cycled, one new sender id
each), the way tests/vignette_driver.py does: the opening, then after every turn the
tracker (GET /conversations/<id>/tracker) says which finding is asked about, answered
from the vignette, until `triage_level` is set.

It records every HTTP status (5xx, 4xx, connection errors and timeouts), each message's
latency (client side), and the resident memory (VmRSS from /proc) of both server
processes every ~2 s. After the load it audits every conversation: the user events in
the stored tracker must be exactly the messages the server acknowledged (lost = sent
and acknowledged but missing, duplicated = stored more often than sent), the bot events
must be the messages the person received, and `triage_level` must be the vignette's
expected level.

Prints a table of figures and writes <out>/report.md, <out>/results.json and copies of
the server logs. Exit status 1 when there was any 5xx, lost or duplicated event (the
other findings are reported, see the table), 0 otherwise.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import aiohttp
import yaml

from benchmarks.benchmark import process_memory
from tests.vignette_driver import reply_to
from tools.servers import ROOT, MODEL, start_servers, stop_servers

VIGNETTE_FILE = ROOT / "tests" / "vignettes.yml"
DEFAULT_OUT = ROOT / "results" / "soak"
REQUEST_TIMEOUT = 300  # seconds per HTTP request; 20 users on 2 busy cores queue up
MAX_ANSWERS = 20  # like tests/vignette_driver.py: more means the conversation is stuck
SAMPLE_SECONDS = 2.0
LEVEL_SAMPLES = 5  # samples (about 10 s) in a memory level, see memory_figures


# ---- memory -------------------------------------------------------------------------

def rss_mb(pid: int) -> float:
    """VmRSS in MB of a process and its children (0 when it is gone)."""
    return process_memory(pid)["rss_mb"]


@dataclass
class Sample:
    seconds: float  # since the load started
    done: int  # conversations finished at that moment
    rasa_mb: float
    actions_mb: float

    @property
    def total_mb(self) -> float:
        return self.rasa_mb + self.actions_mb


class MemorySampler(threading.Thread):
    """Samples both servers' RSS every `every` seconds until stopped."""

    def __init__(self, rasa_pid: int, actions_pid: int, progress: Callable[[], int],
                 every: float = SAMPLE_SECONDS):
        super().__init__(daemon=True)
        self.pids = (rasa_pid, actions_pid)
        self.progress = progress
        self.every = every
        self.samples: List[Sample] = []
        self.start_time = time.monotonic()
        self._stop_event = threading.Event()

    def sample(self) -> Sample:
        s = Sample(time.monotonic() - self.start_time, self.progress(),
                   rss_mb(self.pids[0]), rss_mb(self.pids[1]))
        self.samples.append(s)
        return s

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            self.sample()

    def stop(self) -> Sample:
        self._stop_event.set()
        self.join(timeout=10)
        return self.sample()  # the end of the load


def slope(points: List[Tuple[float, float]]) -> Optional[float]:
    """Least-squares slope of y over x (None with fewer than 3 points or no spread in x)."""
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def memory_figures(baseline: Sample, samples: List[Sample], conversations: int) -> Dict[str, Dict[str, object]]:
    """Per process (rasa, actions, total): start, after the first quarter of the
    conversations, peak, end, and the growth over the second half of the run."""
    end = samples[-1]
    half = end.seconds / 2
    second_half = [s for s in samples if s.seconds >= half]
    quarter_at = next((i for i, s in enumerate(samples) if s.done >= conversations / 4), len(samples) - 1)
    quarter = samples[quarter_at]
    # Levels robust to one transient spike: medians of LEVEL_SAMPLES samples from the first
    # quarter on, and of the last LEVEL_SAMPLES samples.
    quarter_window = samples[quarter_at: quarter_at + LEVEL_SAMPLES]
    end_window = samples[-LEVEL_SAMPLES:]
    figures = {}
    for name in ("rasa", "actions", "total"):
        def value(s: Sample) -> float:
            return getattr(s, f"{name}_mb")

        quarter_level = statistics.median(value(s) for s in quarter_window)
        end_level = statistics.median(value(s) for s in end_window)

        per_minute = slope([(s.seconds / 60, value(s)) for s in second_half])
        done_span = second_half[-1].done - second_half[0].done if second_half else 0
        per_100 = slope([(s.done / 100, value(s)) for s in second_half]) if done_span > 0 else None
        figures[name] = {
            "start_mb": round(value(baseline), 1),
            "after_first_quarter_mb": round(value(quarter), 1),
            "peak_mb": round(max(value(s) for s in samples + [baseline]), 1),
            "end_mb": round(value(end), 1),
            "first_quarter_level_mb": round(quarter_level, 1),
            "end_level_mb": round(end_level, 1),
            "growth_after_first_quarter_mb": round(end_level - quarter_level, 1),
            "second_half_mb_per_min": None if per_minute is None else round(per_minute, 2),
            "second_half_mb_per_100_conversations": None if per_100 is None else round(per_100, 2),
        }
    return figures


# ---- load ---------------------------------------------------------------------------

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
class Load:
    statuses: Dict[str, Counter] = field(default_factory=lambda: {"webhook": Counter(), "tracker": Counter()})
    connection_errors: Counter = field(default_factory=Counter)  # "webhook: ClientOSError"
    error_samples: List[str] = field(default_factory=list)
    message_ms: List[float] = field(default_factory=list)
    tracker_ms: List[float] = field(default_factory=list)
    done: int = 0


def bot_message_key(message: dict) -> str:
    """One bot message as the person got it, for comparing with the stored bot events."""
    if message.get("text"):
        return message["text"].strip()
    return json.dumps({k: message.get(k) for k in ("image", "custom", "attachment") if message.get(k)},
                      sort_keys=True)


def bot_event_key(event: dict) -> str:
    if event.get("text"):
        return event["text"].strip()
    data = event.get("data") or {}
    return json.dumps({k: data.get(k) for k in ("image", "custom", "attachment") if data.get(k)},
                      sort_keys=True)


def same_bot_messages(received: List[str], stored: List[str]) -> bool:
    """The REST channel sends a text without buttons as one message per paragraph (Rasa's
    CollectingOutputChannel splits it on blank lines), so both sides are compared joined."""
    return "\n\n".join(received) == "\n\n".join(stored)


async def request(session: aiohttp.ClientSession, load: Load, kind: str, method: str, url: str,
                  **kwargs) -> Tuple[Optional[int], object]:
    """One HTTP request; its status (None on a connection error) and JSON body."""
    start = time.perf_counter()
    try:
        async with session.request(method, url, **kwargs) as response:
            raw = await response.read()
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
        name = "Timeout" if isinstance(error, asyncio.TimeoutError) else type(error).__name__
        load.connection_errors[f"{kind}: {name}"] += 1
        if len(load.error_samples) < 10:
            load.error_samples.append(f"{kind} {method} {url}: {name}: {error}"[:300])
        return None, None
    ms = (time.perf_counter() - start) * 1000
    load.statuses[kind][status] += 1
    (load.message_ms if kind == "webhook" else load.tracker_ms).append(ms)
    if status >= 300 and len(load.error_samples) < 10:
        load.error_samples.append(f"{kind} {method} {url}: HTTP {status}: {raw[:200]!r}")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return status, body


async def play(session: aiohttp.ClientSession, url: str, token: str, load: Load,
               conversation: Conversation) -> None:
    """One whole conversation, as tests/vignette_driver.py plays it."""
    start = time.perf_counter()

    async def say(text: str) -> bool:
        status, body = await request(session, load, "webhook", "POST", f"{url}/webhooks/rest/webhook",
                                     json={"sender": conversation.sender, "message": text})
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
            status, body = await request(session, load, "tracker", "GET",
                                         f"{url}/conversations/{conversation.sender}/tracker",
                                         params={"token": token})
            if status != 200 or not isinstance(body, dict):
                conversation.error = f"GET tracker: {status}"
                return
            slots = body.get("slots") or {}
            if slots.get("triage_level"):
                conversation.level = slots["triage_level"]
                conversation.causes = list(slots.get("likely_causes") or [])
                return
            finding = slots.get("requested_slot")
            if not finding:
                conversation.error = "stuck: no triage_level and no requested_slot"
                return
            if conversation.answers >= MAX_ANSWERS:
                conversation.error = f"stuck: no triage_level after {MAX_ANSWERS} answers"
                return
            conversation.answers += 1
            if not await say(reply_to(conversation.vignette, slots)):
                return
    finally:
        conversation.seconds = time.perf_counter() - start
        load.done += 1


async def run_load(url: str, token: str, conversations: List[Conversation], users: int, load: Load,
                   log: Callable[[str], None]) -> None:
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
            await play(session, url, token, load, conversation)
            if load.done % every == 0:
                log(f"  {load.done}/{len(conversations)} conversations, "
                    f"{len(load.message_ms)} messages")

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=users + 4)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(user(session) for _ in range(users)))


# ---- audit --------------------------------------------------------------------------

async def fetch_trackers(url: str, token: str, senders: List[str]) -> Dict[str, Optional[dict]]:
    trackers: Dict[str, Optional[dict]] = {}
    semaphore = asyncio.Semaphore(4)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)

    async def fetch(session: aiohttp.ClientSession, sender: str) -> None:
        async with semaphore:
            for _ in range(3):
                try:
                    async with session.get(f"{url}/conversations/{sender}/tracker",
                                           params={"token": token}) as response:
                        if response.status == 200:
                            trackers[sender] = await response.json()
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(1)
            trackers[sender] = None

    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(fetch(session, s) for s in senders))
    return trackers


def audit(conversation: Conversation, tracker: Optional[dict]) -> Dict[str, object]:
    """Compares the stored events with what was sent and received."""
    if tracker is None:
        return {"unreadable": True, "lost": sum(ok for _, ok in conversation.sent), "duplicated": 0,
                "out_of_order": False, "bot_mismatch": True}
    events = tracker.get("events") or []
    stored = [e.get("text") for e in events if e.get("event") == "user"]
    acknowledged = Counter(text for text, ok in conversation.sent if ok)
    unacknowledged = Counter(text for text, ok in conversation.sent if not ok)
    stored_count = Counter(stored)
    lost = sum(max(0, n - stored_count[text]) for text, n in acknowledged.items())
    duplicated = sum(max(0, n - acknowledged[text] - unacknowledged[text]) for text, n in stored_count.items())
    everything_acknowledged = not unacknowledged
    out_of_order = everything_acknowledged and not lost and not duplicated and \
        stored != [text for text, _ in conversation.sent]
    bot_stored = [bot_event_key(e) for e in events if e.get("event") == "bot"]
    slots = tracker.get("slots") or {}
    return {
        "unreadable": False,
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order": out_of_order,
        # only meaningful when every message got its reply
        "bot_mismatch": everything_acknowledged and not same_bot_messages(conversation.received, bot_stored),
        "stored_level": slots.get("triage_level"),
        "user_events": len(stored),
        "events": len(events),
    }


# ---- report -------------------------------------------------------------------------

def percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ms(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


def figure_rows(r: Dict[str, object]) -> List[Tuple[str, object]]:
    m = r["memory"]
    lat = r["latency_ms"]
    rows = [
        ("conversations (users)", f"{r['conversations']} ({r['users']} concurrent)"),
        ("load duration", f"{r['load_seconds']} s ({r['load_seconds'] / 60:.1f} min)"),
        ("messages sent (POST webhook)", r["messages"]),
        ("tracker reads during the load", r["tracker_reads"]),
        ("throughput", f"{r['throughput_msg_s']} msg/s, {r['conversations_per_min']} conversations/min"),
        ("message latency p50 / p95 / p99 / max", f"{lat['p50']} / {lat['p95']} / {lat['p99']} / {lat['max']} ms"),
        ("tracker read latency p50 / p95", f"{r['tracker_latency_ms']['p50']} / {r['tracker_latency_ms']['p95']} ms"),
        ("HTTP 5xx", r["http_5xx"]),
        ("HTTP 4xx", r["http_4xx"]),
        ("connection errors / timeouts", r["connection_errors"]),
        ("lost user events", r["lost"]),
        ("duplicated user events", r["duplicated"]),
        ("conversations with events out of order", r["out_of_order"]),
        ("conversations whose stored bot events differ from the replies", r["bot_mismatch"]),
        ("trackers unreadable after the run", r["unreadable"]),
        ("concluded at the expected level", f"{r['expected_level']} / {r['conversations']}"),
        ("wrong level / not concluded (stuck or error)", f"{r['wrong_level']} / {r['not_concluded']}"),
        ("top cause as expected", f"{r['expected_top_cause']} / {r['conversations']}"),
    ]
    for name, label in (("rasa", "Rasa server"), ("actions", "action server"), ("total", "both")):
        f = m[name]
        rows.append((f"RSS {label}: start / 1st quarter / peak / end (MB)",
                     f"{f['start_mb']} / {f['after_first_quarter_mb']} / {f['peak_mb']} / {f['end_mb']}"))
        rows.append((f"RSS {label}: growth from 1st quarter to end (medians of {LEVEL_SAMPLES} samples)",
                     f"{f['growth_after_first_quarter_mb']} MB ({f['first_quarter_level_mb']} -> {f['end_level_mb']})"))
        rows.append((f"RSS {label}: 2nd-half slope",
                     f"{f['second_half_mb_per_min']} MB/min, {f['second_half_mb_per_100_conversations']} MB/100 conv."))
    rows.append(("Tracebacks in server logs", r["log_tracebacks"]))
    return rows


def table(rows: List[Tuple[str, object]]) -> str:
    width = max(len(k) for k, _ in rows)
    vwidth = max(len(str(v)) for _, v in rows)
    lines = [f"| {'figure'.ljust(width)} | {'value'.ljust(vwidth)} |", f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|"]
    lines += [f"| {k.ljust(width)} | {str(v).ljust(vwidth)} |" for k, v in rows]
    return "\n".join(lines)


def write_report(out: Path, r: Dict[str, object]) -> str:
    failing = r["failures"]
    lines = [
        "# Soak test",
        "",
        f"Run {r['when']}, {r['machine']}, Rasa {r['rasa']}. Command: `python -m benchmarks.soak "
        f"--conversations {r['conversations']} --users {r['users']}`. Verdict: "
        + ("**pass** (no 5xx, no lost or duplicated event)" if not failing else f"**FAIL**: {', '.join(failing)}"),
        "",
        f"Machine load before: {r['load_before']}; after: {r['load_after']} (other jobs share the CPUs, "
        "so latency and throughput move with them; the counts do not).",
        "",
        table(figure_rows(r)),
        "",
        "## How it was measured",
        "",
        "* Servers: `tools/servers.py` (`rasa run actions`, `rasa run` with the REST channel, the "
        "token API and a fresh SQLite tracker store), one Sanic worker each, on 127.0.0.1.",
        f"* Load: {r['users']} virtual users (asyncio + aiohttp) take conversations from a queue of "
        f"{r['conversations']}, tests/vignettes.yml cycled, a new sender id each. A conversation is "
        "driven like tests/vignette_driver.py: the opening, then after every reply a tracker read "
        "gives `requested_slot`, answered from the vignette, until `triage_level` is set. "
        "A message that gets no 2xx ends its conversation (no retry).",
        "* Latency: client side, per POST /webhooks/rest/webhook, including queueing behind the "
        "other users' messages.",
        "* Audit after the load: every tracker is read again. Lost = a message acknowledged with a "
        "2xx that is not among the tracker's user events (as often as it was sent); duplicated = a "
        "text stored more often than it was sent. Bot events are compared with the messages the "
        "person received, in order.",
        f"* Memory: VmRSS of each server process (with children) from /proc every {r['sample_seconds']} s. "
        "'1st quarter' is the first sample after a quarter of the conversations had finished; the "
        f"growth compares the median of {LEVEL_SAMPLES} samples from there with the median of the last "
        f"{LEVEL_SAMPLES} (a leak raises both medians, a single transient spike neither); the "
        "slope is a least-squares fit over the samples of the second half of the load.",
        "",
    ]
    if r["error_samples"]:
        lines += ["## Errors seen", ""] + [f"* `{e}`" for e in r["error_samples"]] + [""]
    bad = r["problem_conversations"]
    if bad:
        lines += ["## Conversations with a problem", ""] + [f"* {b}" for b in bad[:40]] + [""]
    if r["log_traceback_samples"]:
        lines += ["## Tracebacks in the server logs", "", "```"] + r["log_traceback_samples"] + ["```", ""]
    lines += ["## Memory samples (seconds, conversations done, Rasa MB, actions MB)", "",
              " ".join(f"({s[0]}, {s[1]}, {s[2]}, {s[3]})" for s in r["memory_samples"]), ""]
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    return text


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def log_tracebacks(paths: List[Path]) -> Tuple[int, List[str]]:
    count, samples = 0, []
    for path in paths:
        lines = path.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if "Traceback" in line:
                count += 1
                if len(samples) < 60:
                    samples += [f"{path.name}:{number + 1}"] + lines[max(0, number - 2): number + 12]
    return count, samples


# ---- the run ------------------------------------------------------------------------

def load_vignettes() -> List[dict]:
    with VIGNETTE_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["vignettes"]


def run_soak(conversations: int = 200, users: int = 20, out: Path = DEFAULT_OUT,
             sample_seconds: float = SAMPLE_SECONDS, model: Path = MODEL, keep: bool = False,
             log: Callable[[str], None] = print) -> Dict[str, object]:
    """Runs the soak and writes the report; returns the figures (see `figure_rows`).

    `result["failures"]` lists what fails the run (5xx, lost, duplicated events)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vignettes = load_vignettes()
    run_id = uuid.uuid4().hex[:8]
    plan = [Conversation(i, vignettes[i % len(vignettes)],
                         f"soak-{run_id}-{i:04d}-{vignettes[i % len(vignettes)]['id']}"[:128])
            for i in range(conversations)]
    workdir = Path(tempfile.mkdtemp(prefix="twitch-soak-"))
    from importlib.metadata import version

    result: Dict[str, object] = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "rasa": version("rasa"), "conversations": conversations, "users": users,
        "sample_seconds": sample_seconds, "load_before": machine_load(),
    }
    server = None
    try:
        log(f"starting the servers (SQLite {workdir / 'soak.db'})")
        started = time.monotonic()
        server = start_servers(workdir, workdir / "soak.db", model=model)
        result["startup_seconds"] = round(time.monotonic() - started, 1)
        log(f"  up in {result['startup_seconds']} s; {conversations} conversations, {users} users")
        rasa, actions = server.processes
        load = Load()
        sampler = MemorySampler(rasa.pid, actions.pid, lambda: load.done, sample_seconds)
        baseline = sampler.sample()
        sampler.start()
        load_start = time.monotonic()
        asyncio.run(run_load(server.url, server.token, plan, users, load, log))
        load_seconds = time.monotonic() - load_start
        sampler.stop()
        samples = sampler.samples[1:]  # without the baseline
        if rasa.poll() is not None or actions.poll() is not None:
            log("a server process died during the load")
            result["server_died"] = True

        log("auditing every conversation's stored events")
        trackers = asyncio.run(fetch_trackers(server.url, server.token, [c.sender for c in plan]))
        audits = {c.sender: audit(c, trackers.get(c.sender)) for c in plan}
    finally:
        if server is not None:
            stop_servers(server)

    logs = [p for which in ("rasa", "actions") for p in (server.logs.get(which, []) if server else [])]
    for path in logs:
        shutil.copy(path, out / path.name)
    tracebacks, traceback_samples = log_tracebacks(logs)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)

    statuses = {kind: dict(sorted(c.items())) for kind, c in load.statuses.items()}
    all_statuses = load.statuses["webhook"] + load.statuses["tracker"]
    problems = []
    expected_level = wrong_level = not_concluded = expected_cause = 0
    for c in plan:
        a = audits[c.sender]
        expected = c.vignette["expected"]
        if c.level == expected["level"]:
            expected_level += 1
        elif c.level is None:
            not_concluded += 1
        else:
            wrong_level += 1
        if c.causes and c.causes[0] == expected.get("top_cause"):
            expected_cause += 1
        elif expected["level"] == "emergency" and not c.causes and c.level == "emergency":
            expected_cause += 1  # the contract allows no causes with an emergency
        issues = []
        if c.error:
            issues.append(c.error)
        if c.level != expected["level"]:
            issues.append(f"level {c.level} (expected {expected['level']})")
        for key in ("lost", "duplicated"):
            if a[key]:
                issues.append(f"{a[key]} {key}")
        for key in ("out_of_order", "bot_mismatch", "unreadable"):
            if a[key]:
                issues.append(key.replace("_", " "))
        if issues:
            problems.append(f"{c.sender}: " + "; ".join(issues))

    message_ms = load.message_ms
    result.update({
        "load_seconds": round(load_seconds, 1),
        "messages": sum(len(c.sent) for c in plan),
        "tracker_reads": sum(load.statuses["tracker"].values()),
        "throughput_msg_s": round(len(message_ms) / load_seconds, 2),
        "conversations_per_min": round(conversations / load_seconds * 60, 1),
        "latency_ms": {"p50": _ms(percentile(message_ms, 50)), "p95": _ms(percentile(message_ms, 95)),
                       "p99": _ms(percentile(message_ms, 99)), "max": _ms(max(message_ms, default=None)),
                       "mean": _ms(statistics.fmean(message_ms)) if message_ms else None},
        "tracker_latency_ms": {"p50": _ms(percentile(load.tracker_ms, 50)),
                               "p95": _ms(percentile(load.tracker_ms, 95))},
        "http_statuses": statuses,
        "http_5xx": sum(n for s, n in all_statuses.items() if s >= 500),
        "http_4xx": sum(n for s, n in all_statuses.items() if 400 <= s < 500),
        "connection_errors": sum(load.connection_errors.values()),
        "connection_error_kinds": dict(load.connection_errors),
        "error_samples": load.error_samples,
        "lost": sum(a["lost"] for a in audits.values()),
        "duplicated": sum(a["duplicated"] for a in audits.values()),
        "out_of_order": sum(bool(a["out_of_order"]) for a in audits.values()),
        "bot_mismatch": sum(bool(a["bot_mismatch"]) for a in audits.values()),
        "unreadable": sum(bool(a["unreadable"]) for a in audits.values()),
        "expected_level": expected_level,
        "wrong_level": wrong_level,
        "not_concluded": not_concluded,
        "expected_top_cause": expected_cause,
        "questions_mean": round(statistics.fmean(c.answers for c in plan), 2),
        "conversation_seconds_p50": round(statistics.median(c.seconds for c in plan), 1),
        "memory": memory_figures(baseline, samples, conversations),
        "memory_samples": [(round(s.seconds), s.done, round(s.rasa_mb), round(s.actions_mb))
                           for s in [baseline] + samples],
        "log_tracebacks": tracebacks,
        "log_traceback_samples": traceback_samples,
        "problem_conversations": problems,
        "load_after": machine_load(),
        "conversation_results": [
            {"sender": c.sender, "vignette": c.vignette["id"], "expected": c.vignette["expected"]["level"],
             "level": c.level, "causes": c.causes, "answers": c.answers, "error": c.error,
             "seconds": round(c.seconds, 1), **audits[c.sender]} for c in plan],
    })
    result["failures"] = [f"{result[k]} {label}" for k, label in
                          (("http_5xx", "HTTP 5xx"), ("lost", "lost events"), ("duplicated", "duplicated events"))
                          if result[k]]
    (out / "results.json").write_text(json.dumps(result, indent=2, default=str))
    write_report(out, result)
    return result


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200, help="full conversations (default 200)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory (default results/soak)")
    parser.add_argument("--sample-seconds", type=float, default=SAMPLE_SECONDS, help="RSS sampling period")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (db, logs)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)  # stop the servers on `kill` too

    def log(message: str) -> None:
        print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)

    result = run_soak(args.conversations, args.users, args.out, args.sample_seconds, keep=args.keep, log=log)
    print()
    print(table(figure_rows(result)))
    print()
    if result["problem_conversations"]:
        print(f"{len(result['problem_conversations'])} conversation(s) with a problem, e.g.:")
        for line in result["problem_conversations"][:10]:
            print(f"  {line}")
    print(f"Report: {Path(args.out) / 'report.md'}")
    if result["failures"]:
        print("FAIL: " + ", ".join(result["failures"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
