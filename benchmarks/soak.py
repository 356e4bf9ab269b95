"""Soak test: many full conversations at once against the real servers, then an audit.

    python -m benchmarks.soak [--conversations 200] [--users 20] [--out results/soak]

Starts its own action server and Rasa server (tools/servers.py: REST channel, token API,
a fresh SQLite tracker store) and has `--users` virtual users on 127.0.0.1 play
`--conversations` whole conversations from tests/vignettes.yml (cycled, one new sender id
each), as tools/vignettes.py plays them (benchmarks/load.py).

It records every HTTP status (5xx, 4xx, connection errors and timeouts), each message's
latency (client side), and the resident memory of both server processes every
`--sample-seconds`. After the load it audits every conversation: the user events in
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
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from benchmarks.load import Conversation, Traffic, fetch_trackers, play_conversations
from benchmarks.soak_report import figure_rows, write_report
from tools.cli import progress_log, stop_on_sigterm
from tools.process_figures import machine_load, process_memory
from tools.server_logs import tracebacks_in
from tools.servers import MODEL, ROOT, RasaServer, start_servers, stop_servers
from tools.stats import percentile, rounded, table
from tools.vignettes import load_vignettes

DEFAULT_OUT = ROOT / "results" / "soak"
REQUEST_TIMEOUT = 300  # seconds per HTTP request; 20 users on 2 busy cores queue up
SAMPLE_SECONDS = 2.0
LEVEL_SAMPLES = 5  # samples in a memory level, see memory_figures
PROCESSES = ("rasa", "actions", "total")


# ---- memory -------------------------------------------------------------------------


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

    def __init__(self, server: RasaServer, progress: Callable[[], int], every: float = SAMPLE_SECONDS):
        super().__init__(daemon=True)
        self.pids = (server.rasa.pid, server.actions.pid)
        self.progress = progress
        self.every = every
        self.samples: List[Sample] = []
        self.start_time = time.monotonic()
        self._stop_event = threading.Event()

    def sample(self) -> Sample:
        s = Sample(
            time.monotonic() - self.start_time,
            self.progress(),
            process_memory(self.pids[0]).rss_mb,
            process_memory(self.pids[1]).rss_mb,
        )
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


@dataclass
class MemoryFigures:
    """One process's (or both together) resident memory over the run, in MB."""

    start_mb: float
    after_first_quarter_mb: float  # the first sample once a quarter of the conversations finished
    peak_mb: float
    end_mb: float
    first_quarter_level_mb: float  # median of LEVEL_SAMPLES samples from the first quarter on
    end_level_mb: float  # median of the last LEVEL_SAMPLES samples
    growth_after_first_quarter_mb: float
    second_half_mb_per_min: Optional[float]
    second_half_mb_per_100_conversations: Optional[float]


def memory_figures(baseline: Sample, samples: List[Sample], conversations: int) -> Dict[str, MemoryFigures]:
    """Per process (rasa, actions, total). Levels are medians, so a leak raises them and a
    single transient spike does not."""
    end = samples[-1]
    second_half = [s for s in samples if s.seconds >= end.seconds / 2]
    quarter_at = next((i for i, s in enumerate(samples) if s.done >= conversations / 4), len(samples) - 1)
    quarter_window = samples[quarter_at : quarter_at + LEVEL_SAMPLES]
    end_window = samples[-LEVEL_SAMPLES:]
    figures = {}
    for name in PROCESSES:

        def value(s: Sample) -> float:
            return getattr(s, f"{name}_mb")

        quarter_level = statistics.median(value(s) for s in quarter_window)
        end_level = statistics.median(value(s) for s in end_window)
        per_minute = slope([(s.seconds / 60, value(s)) for s in second_half])
        done_span = second_half[-1].done - second_half[0].done if second_half else 0
        per_100 = slope([(s.done / 100, value(s)) for s in second_half]) if done_span > 0 else None
        figures[name] = MemoryFigures(
            start_mb=round(value(baseline), 1),
            after_first_quarter_mb=round(value(samples[quarter_at]), 1),
            peak_mb=round(max(value(s) for s in samples + [baseline]), 1),
            end_mb=round(value(end), 1),
            first_quarter_level_mb=round(quarter_level, 1),
            end_level_mb=round(end_level, 1),
            growth_after_first_quarter_mb=round(end_level - quarter_level, 1),
            second_half_mb_per_min=rounded(per_minute, 2),
            second_half_mb_per_100_conversations=rounded(per_100, 2),
        )
    return figures


# ---- audit --------------------------------------------------------------------------


@dataclass
class Audit:
    """One conversation's stored tracker compared with what was sent and received."""

    unreadable: bool
    lost: int
    duplicated: int
    out_of_order: bool
    bot_mismatch: bool  # only meaningful when every message got its reply
    stored_level: Optional[str] = None
    user_events: int = 0
    events: int = 0


def bot_event_key(event: dict) -> str:
    if event.get("text"):
        return event["text"].strip()
    data = event.get("data") or {}
    return json.dumps({k: data.get(k) for k in ("image", "custom", "attachment") if data.get(k)}, sort_keys=True)


def same_bot_messages(received: List[str], stored: List[str]) -> bool:
    """The REST channel sends a text without buttons as one message per paragraph (Rasa's
    CollectingOutputChannel splits it on blank lines), so both sides are compared joined."""
    return "\n\n".join(received) == "\n\n".join(stored)


def audit(conversation: Conversation, tracker: Optional[dict]) -> Audit:
    if tracker is None:
        return Audit(
            unreadable=True,
            lost=sum(ok for _, ok in conversation.sent),
            duplicated=0,
            out_of_order=False,
            bot_mismatch=True,
        )
    events = tracker.get("events") or []
    stored = [e.get("text") for e in events if e.get("event") == "user"]
    acknowledged = Counter(text for text, ok in conversation.sent if ok)
    unacknowledged = Counter(text for text, ok in conversation.sent if not ok)
    stored_count = Counter(stored)
    lost = sum(max(0, n - stored_count[text]) for text, n in acknowledged.items())
    duplicated = sum(max(0, n - acknowledged[text] - unacknowledged[text]) for text, n in stored_count.items())
    everything_acknowledged = not unacknowledged
    out_of_order = (
        everything_acknowledged and not lost and not duplicated and stored != [text for text, _ in conversation.sent]
    )
    bot_stored = [bot_event_key(e) for e in events if e.get("event") == "bot"]
    return Audit(
        unreadable=False,
        lost=lost,
        duplicated=duplicated,
        out_of_order=out_of_order,
        bot_mismatch=everything_acknowledged and not same_bot_messages(conversation.received, bot_stored),
        stored_level=(tracker.get("slots") or {}).get("triage_level"),
        user_events=len(stored),
        events=len(events),
    )


# ---- the result ---------------------------------------------------------------------


@dataclass
class SoakResult:
    conversations: int
    users: int
    sample_seconds: float
    level_samples: int = LEVEL_SAMPLES
    when: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M"))
    machine: str = field(default_factory=lambda: f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    rasa: str = field(default_factory=lambda: version("rasa"))
    load_before: str = ""
    load_after: str = ""
    startup_seconds: float = 0.0
    server_died: bool = False
    load_seconds: float = 0.0
    messages: int = 0
    tracker_reads: int = 0
    throughput_msg_s: float = 0.0
    conversations_per_min: float = 0.0
    latency_ms: Dict[str, Optional[float]] = field(default_factory=dict)  # p50 p95 p99 max mean
    tracker_latency_ms: Dict[str, Optional[float]] = field(default_factory=dict)  # p50 p95
    http_statuses: Dict[str, Dict[int, int]] = field(default_factory=dict)
    http_5xx: int = 0
    http_4xx: int = 0
    connection_errors: int = 0
    connection_error_kinds: Dict[str, int] = field(default_factory=dict)
    error_samples: List[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0  # conversations
    bot_mismatch: int = 0  # conversations
    unreadable: int = 0  # conversations
    expected_level: int = 0
    wrong_level: int = 0
    not_concluded: int = 0
    expected_top_cause: int = 0
    questions_mean: float = 0.0
    conversation_seconds_p50: float = 0.0
    memory: Dict[str, MemoryFigures] = field(default_factory=dict)
    memory_samples: List[Tuple[int, int, int, int]] = field(default_factory=list)  # s, done, rasa, actions
    log_tracebacks: int = 0
    log_traceback_samples: List[str] = field(default_factory=list)
    problem_conversations: List[str] = field(default_factory=list)
    conversation_results: List[dict] = field(default_factory=list)

    @property
    def failures(self) -> List[str]:
        """What fails the run."""
        counts = ((self.http_5xx, "HTTP 5xx"), (self.lost, "lost events"), (self.duplicated, "duplicated events"))
        return [f"{count} {label}" for count, label in counts if count]


def count_traffic(result: SoakResult, traffic: Traffic, load_seconds: float) -> None:
    all_statuses = traffic.statuses["webhook"] + traffic.statuses["tracker"]
    message_ms = traffic.message_ms
    result.load_seconds = round(load_seconds, 1)
    result.tracker_reads = sum(traffic.statuses["tracker"].values())
    result.throughput_msg_s = round(len(message_ms) / load_seconds, 2)
    result.conversations_per_min = round(result.conversations / load_seconds * 60, 1)
    result.latency_ms = {
        "p50": rounded(percentile(message_ms, 50)),
        "p95": rounded(percentile(message_ms, 95)),
        "p99": rounded(percentile(message_ms, 99)),
        "max": rounded(max(message_ms, default=None)),
        "mean": rounded(statistics.fmean(message_ms)) if message_ms else None,
    }
    result.tracker_latency_ms = {
        "p50": rounded(percentile(traffic.tracker_ms, 50)),
        "p95": rounded(percentile(traffic.tracker_ms, 95)),
    }
    result.http_statuses = {kind: dict(sorted(c.items())) for kind, c in traffic.statuses.items()}
    result.http_5xx = sum(n for s, n in all_statuses.items() if s >= 500)
    result.http_4xx = sum(n for s, n in all_statuses.items() if 400 <= s < 500)
    result.connection_errors = sum(traffic.connection_errors.values())
    result.connection_error_kinds = dict(traffic.connection_errors)
    result.error_samples = traffic.error_samples


def count_conversations(result: SoakResult, plan: List[Conversation], audits: Dict[str, Audit]) -> None:
    for c in plan:
        a = audits[c.sender]
        expected = c.vignette["expected"]
        if c.level == expected["level"]:
            result.expected_level += 1
        elif c.level is None:
            result.not_concluded += 1
        else:
            result.wrong_level += 1
        if c.causes and c.causes[0] == expected.get("top_cause"):
            result.expected_top_cause += 1
        elif expected["level"] == "emergency" and not c.causes and c.level == "emergency":
            result.expected_top_cause += 1  # the contract allows no causes with an emergency
        issues = [c.error] if c.error else []
        if c.level != expected["level"]:
            issues.append(f"level {c.level} (expected {expected['level']})")
        issues += [f"{count} {name}" for name, count in (("lost", a.lost), ("duplicated", a.duplicated)) if count]
        issues += [
            name.replace("_", " ") for name in ("out_of_order", "bot_mismatch", "unreadable") if getattr(a, name)
        ]
        if issues:
            result.problem_conversations.append(f"{c.sender}: " + "; ".join(issues))
        result.conversation_results.append(
            {
                "sender": c.sender,
                "vignette": c.vignette["id"],
                "expected": expected["level"],
                "level": c.level,
                "causes": c.causes,
                "answers": c.answers,
                "error": c.error,
                "seconds": round(c.seconds, 1),
                **asdict(a),
            }
        )
    result.messages = sum(len(c.sent) for c in plan)
    result.lost = sum(a.lost for a in audits.values())
    result.duplicated = sum(a.duplicated for a in audits.values())
    result.out_of_order = sum(a.out_of_order for a in audits.values())
    result.bot_mismatch = sum(a.bot_mismatch for a in audits.values())
    result.unreadable = sum(a.unreadable for a in audits.values())
    result.questions_mean = round(statistics.fmean(c.answers for c in plan), 2)
    result.conversation_seconds_p50 = round(statistics.median(c.seconds for c in plan), 1)


def count_tracebacks(result: SoakResult, logs: List[Path]) -> None:
    for path, records in tracebacks_in(logs).items():
        result.log_tracebacks += sum(record.count("Traceback") for record in records)
        for record in records:
            if len(result.log_traceback_samples) < 60:
                result.log_traceback_samples += [path.name] + record.splitlines()[:14]


# ---- the run ------------------------------------------------------------------------


def run_soak(
    conversations: int = 200,
    users: int = 20,
    out: Path = DEFAULT_OUT,
    sample_seconds: float = SAMPLE_SECONDS,
    model: Path = MODEL,
    keep: bool = False,
    log: Callable[[str], None] = print,
) -> SoakResult:
    """Runs the soak and writes the report; `result.failures` lists what fails the run."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vignettes = load_vignettes()
    run_id = uuid.uuid4().hex[:8]
    plan = [
        Conversation(
            i, vignettes[i % len(vignettes)], f"soak-{run_id}-{i:04d}-{vignettes[i % len(vignettes)]['id']}"[:128]
        )
        for i in range(conversations)
    ]
    workdir = Path(tempfile.mkdtemp(prefix="twitch-soak-"))
    result = SoakResult(conversations, users, sample_seconds, load_before=str(machine_load()))
    server = None
    try:
        log(f"starting the servers (SQLite {workdir / 'soak.db'})")
        started = time.monotonic()
        server = start_servers(workdir, workdir / "soak.db", model=model)
        result.startup_seconds = round(time.monotonic() - started, 1)
        log(f"  up in {result.startup_seconds} s; {conversations} conversations, {users} users")
        traffic = Traffic()
        sampler = MemorySampler(server, lambda: traffic.done, sample_seconds)
        baseline = sampler.sample()
        sampler.start()
        load_start = time.monotonic()
        asyncio.run(play_conversations(server.url, server.token, plan, users, traffic, log, REQUEST_TIMEOUT))
        load_seconds = time.monotonic() - load_start
        sampler.stop()
        samples = sampler.samples[1:]  # without the baseline
        if server.rasa.poll() is not None or server.actions.poll() is not None:
            log("a server process died during the load")
            result.server_died = True

        log("auditing every conversation's stored events")
        trackers = asyncio.run(fetch_trackers(server.url, server.token, [c.sender for c in plan], REQUEST_TIMEOUT))
        audits = {c.sender: audit(c, trackers.get(c.sender)) for c in plan}
    finally:
        if server is not None:
            stop_servers(server)

    logs = [path for which in ("rasa", "actions") for path in server.logs.get(which, [])]
    for path in logs:
        shutil.copy(path, out / path.name)
    count_tracebacks(result, logs)
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)

    count_traffic(result, traffic, load_seconds)
    count_conversations(result, plan, audits)
    result.memory = memory_figures(baseline, samples, conversations)
    result.memory_samples = [
        (round(s.seconds), s.done, round(s.rasa_mb), round(s.actions_mb)) for s in [baseline] + samples
    ]
    result.load_after = str(machine_load([process.pid for process in server.processes]))
    (out / "results.json").write_text(
        json.dumps({**asdict(result), "failures": result.failures}, indent=2, default=str)
    )
    (out / "report.md").write_text(write_report(result))
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200, help="full conversations (default 200)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory (default results/soak)")
    parser.add_argument("--sample-seconds", type=float, default=SAMPLE_SECONDS, help="RSS sampling period")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (db, logs)")
    args = parser.parse_args(argv)
    stop_on_sigterm()  # the servers are stopped on `kill` too

    result = run_soak(
        args.conversations, args.users, args.out, args.sample_seconds, keep=args.keep, log=progress_log("soak")
    )
    print()
    print(table(["figure", "value"], figure_rows(result)))
    print()
    if result.problem_conversations:
        print(f"{len(result.problem_conversations)} conversation(s) with a problem, e.g.:")
        for line in result.problem_conversations[:10]:
            print(f"  {line}")
    print(f"Report: {Path(args.out) / 'report.md'}")
    if result.failures:
        print("FAIL: " + ", ".join(result.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
