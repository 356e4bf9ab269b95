"""Performance figures for the twitch-triage assistant, side by side with a stock Rasa bot.

    python -m benchmarks.benchmark [--quick]        (or: make bench / make bench-quick)

In one run it trains the stock assistant (`rasa init`, the moodbot) and ours, serves
both the same way (REST channel, token API, SQLite tracker store), drives full
multi-turn conversations over POST /webhooks/rest/webhook at 1 and 20 concurrent users,
measures how a turn's cost grows over a 30-turn conversation, start-up time and resident
memory, and breaks one message's time down by stage. Figures, not pass/fail: our numbers
are also given as ratios to the stock bot measured in the same run, which is what stays
meaningful on a busy machine. Output: a table on stdout and results/bench/report.md
(plus results/bench/results.json).

All traffic goes to 127.0.0.1, every load run is bounded in messages and seconds, and
every process started here is stopped on exit, Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import glob
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import aiohttp
import requests
import yaml

from tools import servers
from tools.servers import RASA, RasaServer, start_servers, stop_servers

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
OUT_DIR = ROOT / "results" / "bench"
REQUEST_TIMEOUT = 60  # seconds per HTTP request under load

# Goals from the brief (ours, measured in the same run as stock).
GOAL_THROUGHPUT_RATIO_20 = 2.0
GOAL_P95_20_MS = 500
GOAL_P50_1_MS = 40
GOAL_GROWTH_30 = 1.2
GOAL_STARTUP_S = 20

STOCK_CONVERSATIONS = [
    ["hello", "I am feeling great", "bye"],
    ["hi", "I am sad", "yes", "goodbye"],
    ["hey there", "very unhappy", "no", "bye bye"],
    ["good morning", "not good", "yes it did", "see you later"],
    ["hey", "are you a bot?", "perfect", "goodbye"],
]
# Long conversations: a cycle of small talk / FAQ turns that keeps the dialogue going;
# turn 30 repeats turn 1's text so the two are the same work apart from the history.
OUR_LONG_CYCLE = [
    "hi",
    "what's the difference between a twitch and a tremor",
    "is it ALS?",
    "what is BFS",
    "should I take magnesium",
    "can caffeine cause twitching",
    "what tests will I need",
    "thanks",
    "are you a bot?",
]
STOCK_LONG_CYCLE = ["hello", "I am sad", "yes", "hi", "I am great", "are you a bot?"]
PARSE_TEXTS_OURS = [
    "my calves keep jumping at night, I've been living on energy drinks",
    "no",
    "is it ALS?",
    "about a week",
]
PARSE_TEXTS_STOCK = ["hello", "I am sad", "yes", "bye"]


@dataclass
class Settings:
    quick: bool
    messages: int
    seconds: float
    users: List[int]
    long_turns: int
    long_repeats: int
    vignettes: int
    parse_repeats: int
    action_repeats: int
    train_ours: bool
    profile: bool


def settings_for(args: argparse.Namespace) -> Settings:
    if args.quick:
        return Settings(True, 40, 20, [1, 20], 30, 1, 3, 5, 10, not args.no_train, True)
    return Settings(False, 200, 60, [1, 20], 30, 3, 10, 20, 30, not args.no_train, True)


# ---- processes ----------------------------------------------------------------------

STARTED: List[subprocess.Popen] = []


class _Recorded(subprocess.Popen):
    """Popen that remembers every process, so a failed start still gets cleaned up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        STARTED.append(self)


@contextmanager
def recording_popen() -> Iterator[None]:
    original = subprocess.Popen
    subprocess.Popen = _Recorded
    try:
        yield
    finally:
        subprocess.Popen = original


def stop_all() -> None:
    for process in STARTED:
        if process.poll() is None:
            process.terminate()
    for process in STARTED:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def base_env(**extra: str) -> Dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
    }
    env.update(extra)
    return env


def run_timed(cmd: List[str], cwd: Path, env: Dict[str, str], log: Path, what: str) -> float:
    """Runs a command to completion (output to `log`); returns its wall time in seconds."""
    start = time.perf_counter()
    with log.open("w") as out:
        process = _Recorded(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        rc = process.wait()
    seconds = time.perf_counter() - start
    if rc != 0:
        raise RuntimeError(f"{what} failed (exit {rc}); see {log}:\n{log.read_text()[-2000:]}")
    return seconds


def rss_mb(pid: int) -> Dict[str, float]:
    """VmRSS and VmHWM (peak) in MB of a process and its children, rounded."""
    memory = process_memory(pid)
    return {"rss_mb": round(memory["rss_mb"]), "peak_mb": round(memory["peak_mb"]),
            "processes": memory["processes"]}


def process_memory(pid: int) -> Dict[str, float]:
    """VmRSS and VmHWM (peak) in MB of a process and its children (0 when it is gone)."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for children in glob.glob(f"/proc/{current}/task/*/children"):
            try:
                queue += [int(c) for c in Path(children).read_text().split()]
            except OSError:
                pass
    rss = hwm = 0.0
    for current in pids:
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    hwm += int(line.split()[1]) / 1024
        except OSError:
            pass
    return {"rss_mb": rss, "peak_mb": hwm, "processes": len(pids)}


def machine_load() -> Dict[str, object]:
    load1, load5, _ = os.getloadavg()
    busy = []
    me = os.getpid()
    mine = {p.pid for p in STARTED} | {me}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            pid = int(stat.split("/")[2])
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if fields[0] == "R" and pid not in mine:
                cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()
                busy.append(cmd[:90])
        except (OSError, ValueError, IndexError):
            pass
    return {"loadavg_1m": round(load1, 2), "loadavg_5m": round(load5, 2),
            "cpus": os.cpu_count(), "other_running": busy[:5]}


# ---- the two bots -------------------------------------------------------------------

@dataclass
class Bot:
    name: str
    url: str
    token: str
    rasa_pid: int
    action_pid: Optional[int] = None
    action_url: Optional[str] = None
    startup_s: float = 0.0
    train_s: Optional[float] = None
    results: Dict[str, object] = field(default_factory=dict)


def train_stock(tmp: Path) -> (Path, float):
    project = tmp / "stock"
    project.mkdir()
    seconds = run_timed(
        [RASA, "init", "--no-prompt", "--init-dir", str(project)], cwd=tmp,
        env=base_env(RASA_CACHE_DIRECTORY=str(tmp / "cache-stock")),
        log=tmp / "stock-train.log", what="rasa init",
    )
    models = sorted(project.glob("models/*.tar.gz"))
    if not models:
        raise RuntimeError("rasa init produced no model")
    return models[-1], seconds


def train_ours(tmp: Path) -> (Path, float):
    subprocess.run(["make", "-s", "models/spacy_twitch/meta.json"], cwd=ROOT, check=True)
    out = tmp / "ours-model"
    seconds = run_timed(
        [RASA, "train", "--domain", "domain", "--force", "--fixed-model-name", "bench",
         "--out", str(out)],
        cwd=ROOT, env=base_env(RASA_CACHE_DIRECTORY=str(tmp / "cache-ours")),
        log=tmp / "ours-train.log", what="rasa train (ours)",
    )
    return out / "bench.tar.gz", seconds


def _free_port() -> int:
    return servers._free_port()


def serve_stock(tmp: Path, model: Path) -> Bot:
    project = model.parents[1]
    (project / "bench-endpoints.yml").write_text(yaml.safe_dump({
        "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp / "stock.db")},
    }))
    (project / "bench-credentials.yml").write_text("rest:\n")
    port, token = _free_port(), uuid.uuid4().hex
    log = tmp / "stock-rasa.log"
    start = time.perf_counter()
    process = _Recorded(
        [RASA, "run", "--model", str(model), "--endpoints", "bench-endpoints.yml",
         "--credentials", "bench-credentials.yml", "--port", str(port),
         "--enable-api", "--auth-token", token],
        cwd=project, env=base_env(), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    servers._wait_until(lambda: requests.get(f"{url}/status?token={token}", timeout=2).ok,
                        servers.STARTUP_SECONDS, "stock Rasa server", process, log)
    bot = Bot("stock", url, token, process.pid)
    bot.startup_s = time.perf_counter() - start
    return bot


def serve_ours(tmp: Path, model: Path) -> (Bot, RasaServer):
    workdir = tmp / "ours"
    workdir.mkdir()
    start = time.perf_counter()
    with recording_popen():
        server = start_servers(workdir, workdir / "conversations.db", model=model)
    startup = time.perf_counter() - start
    rasa, actions = server.processes
    action_port = actions.args[actions.args.index("--port") + 1]
    bot = Bot("ours", server.url, server.token, rasa.pid, action_pid=actions.pid,
              action_url=f"http://127.0.0.1:{action_port}")
    bot.startup_s = startup
    return bot, server


# ---- load ---------------------------------------------------------------------------

def percentile(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _concluded(messages: List[dict]) -> bool:
    return any((m.get("custom") or {}).get("type") == "assessment" for m in messages or [])


async def post(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> (float, list):
    start = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook",
                            json={"sender": sender, "message": text}) as response:
        body = await response.json(content_type=None)
        response.raise_for_status()
    return (time.perf_counter() - start) * 1000, body or []


async def load_run(bot: Bot, conversations: List[List[str]], users: int, max_messages: int,
                   max_seconds: float, expect_conclusion: bool) -> Dict[str, object]:
    """`users` virtual users, each playing whole conversations one after another."""
    latencies: List[float] = []
    errors: List[str] = []
    counters = {"sent": 0, "conversations": 0, "complete": 0, "concluded": 0, "empty": 0}
    next_conversation = [0]
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=users + 2)
    start = time.perf_counter()
    deadline = start + max_seconds
    finished = [start]

    async def user(session: aiohttp.ClientSession, index: int) -> None:
        while True:
            turns = conversations[next_conversation[0] % len(conversations)]
            next_conversation[0] += 1
            sender = f"bench-{bot.name}-{users}-{index}-{uuid.uuid4().hex[:12]}"
            counters["conversations"] += 1
            last: list = []
            for number, text in enumerate(turns):
                if counters["sent"] >= max_messages or time.perf_counter() >= deadline:
                    return
                counters["sent"] += 1
                try:
                    ms, last = await post(session, bot.url, sender, text)
                    latencies.append(ms)
                    if not last:
                        counters["empty"] += 1
                except Exception as error:  # noqa: BLE001 - counted, reported
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    break
                finished[0] = time.perf_counter()
            else:
                counters["complete"] += 1
                if _concluded(last):
                    counters["concluded"] += 1

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(user(session, i) for i in range(users)))
    elapsed = max(finished[0] - start, 1e-9)
    result = {
        "users": users,
        "messages": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "seconds": round(elapsed, 2),
        "throughput": round(len(latencies) / elapsed, 2),
        "p50": round(percentile(latencies, 50), 1),
        "p95": round(percentile(latencies, 95), 1),
        "p99": round(percentile(latencies, 99), 1),
        "mean": round(statistics.fmean(latencies), 1) if latencies else None,
        **counters,
    }
    if not expect_conclusion:
        result.pop("concluded")
    return result


async def long_conversation(bot: Bot, turns: List[str], repeats: int) -> Dict[str, object]:
    """Per-turn latency of `repeats` single-user conversations of len(turns) turns."""
    runs: List[List[float]] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as session:
        for _ in range(repeats):
            sender = f"bench-long-{bot.name}-{uuid.uuid4().hex[:12]}"
            runs.append([(await post(session, bot.url, sender, text))[0] for text in turns])
    per_turn = [statistics.median(run[i] for run in runs) for i in range(len(turns))]
    first = per_turn[0]
    last = per_turn[-1]
    early = statistics.median(per_turn[1:6])
    late = statistics.median(per_turn[-5:])
    return {
        "turns": len(turns),
        "repeats": repeats,
        "per_turn_ms": [round(v, 1) for v in per_turn],
        "turn1": round(first, 1),
        "turn_last": round(last, 1),
        "ratio": round(last / first, 2),
        "early_2_6": round(early, 1),
        "late_last5": round(late, 1),
        "ratio_smoothed": round(late / early, 2),
        "sender_example": None,
    }


def long_script(cycle: List[str], turns: int) -> List[str]:
    return [cycle[i % len(cycle)] for i in range(turns - 1)] + [cycle[0]]


# ---- our scripts --------------------------------------------------------------------

def record_our_conversations(bot: Bot, count: int) -> List[Dict[str, object]]:
    """Plays vignettes once with the test driver (tracker reads allowed here, untimed) and
    keeps the user turns: replaying them is deterministic and needs no tracker reads."""
    from tests.vignette_driver import run_vignette

    vignettes = yaml.safe_load((ROOT / "tests" / "vignettes.yml").read_text())["vignettes"]
    step = max(1, len(vignettes) // count)
    picked = vignettes[::step][:count]
    recorded = []
    for vignette in picked:
        result = run_vignette(bot.url, bot.token, vignette)
        turns = [text for who, text in result["transcript"] if who == "user"]
        recorded.append({"id": vignette["id"], "turns": turns, "level": result["level"],
                         "stuck": result["stuck"]})
    return recorded


# ---- where the time goes ------------------------------------------------------------

async def parse_latency(bot: Bot, texts: List[str], repeats: int) -> Dict[str, float]:
    times = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as session:
        for _ in range(repeats):
            for text in texts:
                start = time.perf_counter()
                async with session.post(f"{bot.url}/model/parse?token={bot.token}",
                                        json={"text": text}) as response:
                    await response.read()
                    response.raise_for_status()
                times.append((time.perf_counter() - start) * 1000)
    return {"p50": round(percentile(times, 50), 1), "p95": round(percentile(times, 95), 1),
            "n": len(times)}


async def webhook_latency(bot: Bot, conversations: List[List[str]], repeats: int) -> Dict[str, float]:
    """Single-user webhook latency on whole conversations (the same turns as under load)."""
    times = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as session:
        for index in range(repeats):
            turns = conversations[index % len(conversations)]
            sender = f"bench-prof-{bot.name}-{uuid.uuid4().hex[:12]}"
            for text in turns:
                times.append((await post(session, bot.url, sender, text))[0])
    return {"p50": round(percentile(times, 50), 1), "n": len(times)}


def action_round_trip(bot: Bot, turns: List[str], repeats: int) -> Dict[str, object]:
    """Times the action server's /webhook directly with payloads captured from real
    conversations (tracker with all events + domain, as Rasa sends them)."""
    domain = requests.get(f"{bot.url}/domain?token={bot.token}",
                          headers={"Accept": "application/json"}, timeout=30).json()
    custom = requests.get(f"{bot.action_url}/actions", timeout=30).json()
    results = {"custom_actions": len(custom)}
    for label, script in (("short", turns[:3]), ("long", long_script(OUR_LONG_CYCLE, 30))):
        sender = f"bench-capture-{label}-{uuid.uuid4().hex[:12]}"
        for text in script:
            requests.post(f"{bot.url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text}, timeout=REQUEST_TIMEOUT)
        tracker = requests.get(f"{bot.url}/conversations/{sender}/tracker",
                               params={"token": bot.token, "include_events": "ALL"},
                               timeout=30).json()
        payload = {"next_action": "action_extract_findings", "sender_id": sender,
                   "tracker": tracker, "domain": domain, "version": "3.6"}
        body = json.dumps(payload)
        times = []
        with requests.Session() as session:
            for _ in range(repeats):
                start = time.perf_counter()
                response = session.post(f"{bot.action_url}/webhook", data=body,
                                        headers={"Content-Type": "application/json"}, timeout=30)
                times.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
        events = tracker.get("events") or []
        results[label] = {
            "user_turns": len(script),
            "events": len(events),
            "payload_kb": round(len(body) / 1024, 1),
            "domain_kb": round(len(json.dumps(domain)) / 1024, 1),
            "p50": round(percentile(times, 50), 1),
            "p95": round(percentile(times, 95), 1),
        }
    return results


def tracker_endpoint_latency(bot: Bot, sender_turns: List[str], repeats: int) -> Dict[str, float]:
    """GET /conversations/<id>/tracker: a tracker-store read plus serialisation."""
    sender = f"bench-tracker-{uuid.uuid4().hex[:12]}"
    for text in sender_turns:
        requests.post(f"{bot.url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": text}, timeout=REQUEST_TIMEOUT)
    times = []
    with requests.Session() as session:
        for _ in range(repeats):
            start = time.perf_counter()
            session.get(f"{bot.url}/conversations/{sender}/tracker",
                        params={"token": bot.token}, timeout=30).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return {"turns": len(sender_turns), "p50": round(percentile(times, 50), 1)}


def in_process_profile(tmp: Path, model: Path, bot: Bot, conversations: List[List[str]],
                       long_turns: List[str], repeats: int) -> Optional[dict]:
    scripts = tmp / "profile-scripts.json"
    scripts.write_text(json.dumps({"conversations": conversations, "long": long_turns}))
    out = tmp / "profile.json"
    log = tmp / "profile.log"
    with log.open("w") as stream:
        process = _Recorded(
            [PY, "-m", "benchmarks.profile_turn", "--model", str(model),
             "--action-url", f"{bot.action_url}/webhook", "--db", str(tmp / "profile.db"),
             "--scripts", str(scripts), "--out", str(out), "--long-repeats", str(repeats)],
            cwd=ROOT, env=base_env(), stdout=stream, stderr=subprocess.STDOUT,
        )
        try:
            rc = process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            process.kill()
            rc = -1
    if rc != 0 or not out.exists():
        print(f"  in-process profile failed (exit {rc}); see {log}", flush=True)
        return None
    return json.loads(out.read_text())


# ---- report -------------------------------------------------------------------------

def _fmt(value, digits=1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(ours, stock) -> Optional[float]:
    try:
        return round(ours / stock, 2) if ours is not None and stock else None
    except TypeError:
        return None


def build_rows(stock: Bot, ours: Bot, settings: Settings) -> List[List[str]]:
    s, o = stock.results, ours.results
    rows: List[List[str]] = []

    def row(metric, sv, ov, goal="", met=None, ratio=True):
        r = _ratio(ov, sv) if ratio else None
        mark = "" if met is None else ("yes" if met else "NO")
        rows.append([metric, _fmt(sv), _fmt(ov), _fmt(r, 2) if r is not None else "-", goal, mark])

    row("training time (s)", stock.train_s, ours.train_s)
    row("start-up until /status (s)", stock.startup_s, ours.startup_s,
        f"<= {GOAL_STARTUP_S} s", ours.startup_s <= GOAL_STARTUP_S)
    row("first message after start (ms)", s.get("first_message_ms"), o.get("first_message_ms"))
    for users in settings.users:
        sl, ol = s[f"load_{users}"], o[f"load_{users}"]
        tp_goal, tp_met = "", None
        if users == 20:
            ratio = _ratio(ol["throughput"], sl["throughput"])
            tp_goal, tp_met = f">= {GOAL_THROUGHPUT_RATIO_20:g}x stock", (ratio or 0) >= GOAL_THROUGHPUT_RATIO_20
        row(f"{users} user(s): throughput (msg/s)", sl["throughput"], ol["throughput"], tp_goal, tp_met)
        row(f"{users} user(s): p50 (ms)", sl["p50"], ol["p50"],
            f"<= {GOAL_P50_1_MS} ms" if users == 1 else "",
            ol["p50"] <= GOAL_P50_1_MS if users == 1 else None)
        row(f"{users} user(s): p95 (ms)", sl["p95"], ol["p95"],
            f"<= {GOAL_P95_20_MS} ms" if users == 20 else "",
            ol["p95"] <= GOAL_P95_20_MS if users == 20 else None)
        row(f"{users} user(s): p99 (ms)", sl["p99"], ol["p99"])
        row(f"{users} user(s): messages / errors", f"{sl['messages']} / {sl['errors']}",
            f"{ol['messages']} / {ol['errors']}", ratio=False)
    sl, ol = s["long"], o["long"]
    row(f"long conversation: turn 1 (ms)", sl["turn1"], ol["turn1"])
    row(f"long conversation: turn {ol['turns']} (ms)", sl["turn_last"], ol["turn_last"])
    row(f"turn {ol['turns']} / turn 1", sl["ratio"], ol["ratio"], f"<= {GOAL_GROWTH_30}",
        ol["ratio"] <= GOAL_GROWTH_30)
    row(f"turns {ol['turns'] - 4}-{ol['turns']} / turns 2-6 (medians)", sl["ratio_smoothed"],
        ol["ratio_smoothed"], f"<= {GOAL_GROWTH_30}", ol["ratio_smoothed"] <= GOAL_GROWTH_30)
    row("NLU only, /model/parse p50 (ms)", s["parse"]["p50"], o["parse"]["p50"])
    row("RSS Rasa server after load (MB)", s["memory"]["rasa"]["rss_mb"], o["memory"]["rasa"]["rss_mb"])
    row("RSS action server after load (MB)", None, o["memory"]["actions"]["rss_mb"], ratio=False)
    row("RSS total (MB)", s["memory"]["rasa"]["rss_mb"],
        o["memory"]["rasa"]["rss_mb"] + o["memory"]["actions"]["rss_mb"])
    return rows


def table(rows: List[List[str]]) -> str:
    header = ["metric", "stock (moodbot)", "ours", "ours/stock", "goal", "met"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def where_time_goes(stock: Bot, ours: Bot) -> List[str]:
    o, s = ours.results, stock.results
    lines = ["## Where the time goes", ""]
    parse, hook = o["parse"]["p50"], o["webhook_single"]["p50"]
    sparse, shook = s["parse"]["p50"], s["webhook_single"]["p50"]
    lines += [
        "Over HTTP, single user, idle otherwise (medians):",
        "",
        "| | stock | ours |",
        "|---|---|---|",
        f"| full turn, POST /webhooks/rest/webhook (ms) | {shook} | {hook} |",
        f"| NLU only, POST /model/parse (ms) | {sparse} | {parse} |",
        f"| everything but NLU (ms) | {round(shook - sparse, 1)} | {round(hook - parse, 1)} |",
        f"| GET tracker after 4 turns (ms) | {s['tracker_get']['p50']} | {o['tracker_get']['p50']} |",
    ]
    art = o.get("action_rt")
    if art:
        lines += [
            f"| action server /webhook, action_extract_findings, 3-turn tracker (ms) | - | {art['short']['p50']} "
            f"({art['short']['payload_kb']} KB payload, of which domain {art['short']['domain_kb']} KB) |",
            f"| same with a 30-turn tracker (ms) | - | {art['long']['p50']} "
            f"({art['long']['payload_kb']} KB, {art['long']['events']} events) |",
        ]
    lines.append("")
    prof = o.get("profile")
    if prof:
        st, first, last = prof["short_turns"], prof["long_first_turns"], prof["long_last_turns"]
        lines += [
            "Inside the Rasa process (benchmarks/profile_turn.py: the model loaded in-process, the "
            "real action server over HTTP, a SQLite tracker store; exclusive times, median per "
            f"user message; {prof['short_turn_count']} turns of the vignette conversations, and "
            f"the first / last 3 turns of the {prof['long_turns']}-turn conversation):",
            "",
            "| stage (ms) | vignette turns | long conv. turns 1-3 | long conv. last 3 |",
            "|---|---|---|---|",
        ]
        for key, label in [
            ("total", "whole handle_message"),
            ("nlu", "NLU (parse_message)"),
            ("policies", "policies (graph predict, all steps)"),
            ("action_server_http", "action server HTTP (all calls)"),
            ("action_server_calls", "  number of action server calls"),
            ("action_response_validation", "validating the action server's responses (jsonschema)"),
            ("tracker_copy", "tracker.copy() (replays every event)"),
            ("tracker_copies", "  number of tracker copies"),
            ("tracker_load", "tracker store load"),
            ("tracker_save", "tracker store save"),
            ("other", "other (events, NLG, bookkeeping)"),
        ]:
            lines.append(f"| {label} | {st.get(key)} | {first.get(key)} | {last.get(key)} |")
        lines += ["", f"In-process model load: {prof['model_load_seconds']} s.", ""]
    return lines


# What is left to try for each stage of a turn, once the figures say it matters.
NEXT_STEPS = {
    "nlu": "the spaCy pipeline with medspaCy ConText, then DIET; profile `twitch_nlp` with the "
           "cProfile listing below before changing either",
    "action_server_http": "two calls per form turn (the custom slot mapping and the form's "
                          "validation), each carrying the whole tracker and domain; "
                          "`enable_selected_domain_for_action: true` would drop the domain",
    "policies": "RulePolicy and Memoization turn the whole history into states at every "
                "prediction; this grows with the conversation",
    "tracker_load": "Rasa rebuilds the tracker from every event of the session; "
                    "`session_expiration_time` bounds a session",
    "tracker_save": "one SQLite commit per turn (WAL mode, pooled connections)",
    "action_response_validation": "checked with a validator built once "
                                  "(rasa_patches/reply_validation.py)",
    "tracker_copy": "copies replay every event",
}


def proposals(stock: Bot, ours: Bot) -> List[str]:
    """Where to look next, stages ranked by the time measured in this run."""
    prof = ours.results.get("profile") or {}
    short, last = prof.get("short_turns") or {}, prof.get("long_last_turns") or {}
    items = []
    total = short.get("total") or 0
    for stage in sorted(NEXT_STEPS, key=lambda key: -(short.get(key) or 0)):
        if total:
            ms, late = short.get(stage) or 0, last.get(stage)
            growth = f", {late} ms at the end of the long conversation" if late is not None else ""
            items.append(f"* **{stage}**: {ms} ms of a {total} ms turn "
                         f"({round(100 * ms / total)}%{growth}): {NEXT_STEPS[stage]}.")
    items.append(
        "* **Concurrency**: one Sanic worker whose NLU and policy work is CPU-bound, so at 20 "
        "users requests queue and p95 is about 20 x the single-user time. Several Sanic workers "
        "(`SANIC_WORKERS`) need Rasa's Redis lock store so one conversation's messages stay in "
        "order, and the SQLite store would then see concurrent writers (PostgreSQL is the usual "
        "choice); on 2 cores shared with the action server the gain is bounded by 2x.")
    return items


def write_report(path: Path, stock: Bot, ours: Bot, settings: Settings, rows, meta: dict) -> str:
    o, s = ours.results, stock.results
    lines = [
        "# Benchmark: twitch-triage vs the stock Rasa assistant",
        "",
        f"Run {meta['when']} ({'quick' if settings.quick else 'full'}), {meta['machine']}. "
        f"Rasa {meta['rasa']}. Both bots served the same way: `rasa run` with the REST "
        "channel, token API and a SQLite tracker store; ours with its action server.",
        "",
        f"Machine load before: {meta['load_before']}; after: {meta['load_after']}. "
        "Absolute figures move with other work on the machine; the ours/stock ratios, "
        "measured side by side in the same run, are the robust comparison.",
        "",
        table(rows),
        "",
        "## How it was measured",
        "",
        f"* Training: stock = `rasa init --no-prompt` (creates and trains the moodbot); ours = "
        "`rasa train --domain domain --force` (spaCy pipeline prebuilt, cold Rasa cache). "
        + ("" if ours.train_s is not None else "Our training was skipped (`--no-train`/quick); "
           "the existing models/twitch-triage.tar.gz was served."),
        "* Start-up: process start until `GET /status` answers (ours: action server and Rasa "
        "server started together, until both answer).",
        f"* Load: virtual users (asyncio + aiohttp) each play whole conversations one after "
        f"another over `POST /webhooks/rest/webhook`, bounded by {settings.messages} messages or "
        f"{settings.seconds:g} s per run. Ours replays {len(o['scripts'])} vignette conversations "
        "(recorded once, untimed, with tests/vignette_driver.py; replay needs no tracker reads); "
        f"stock plays {len(STOCK_CONVERSATIONS)} moodbot conversations. Latency is per message, "
        "client side.",
        f"* Long conversation: one user, {o['long']['turns']} turns of small talk/FAQ (stock: "
        f"greet/mood turns); turn {o['long']['turns']} has the same text as turn 1; median of "
        f"{o['long']['repeats']} conversation(s) per turn. Turn 1 also runs the session start, "
        "so the smoothed ratio (last 5 turns vs turns 2-6) is given too.",
        "* Memory: VmRSS (and peak VmHWM) from /proc/<pid>/status after the load runs.",
        "",
        "## Details",
        "",
    ]
    for users in settings.users:
        for bot in (stock, ours):
            r = bot.results[f"load_{users}"]
            extra = f", concluded {r['concluded']}" if "concluded" in r else ""
            lines.append(
                f"* {bot.name}, {users} user(s): {r['messages']} messages in {r['seconds']} s, "
                f"{r['conversations']} conversations started, {r['complete']} complete{extra}, "
                f"{r['empty']} empty replies, {r['errors']} errors {r['error_samples'] or ''}; "
                f"mean {r['mean']} ms")
    lines.append("")
    recorded = o["scripts"]
    lines.append("Our recorded conversations (user turns; level reached): " + ", ".join(
        f"{c['id']} ({len(c['turns'])}; {c['level']})" for c in recorded))
    lines.append("")
    for bot in (stock, ours):
        lines.append(f"Per-turn latency, long conversation, {bot.name} (ms): "
                     + " ".join(str(v) for v in bot.results["long"]["per_turn_ms"]))
    lines.append("")
    mem = [f"stock Rasa {s['memory']['rasa']}", f"our Rasa {o['memory']['rasa']}",
           f"our actions {o['memory']['actions']}"]
    lines += ["Memory: " + "; ".join(mem), ""]
    lines += where_time_goes(stock, ours)
    lines += ["## Proposals (not applied: the bot is unchanged)", ""]
    lines += proposals(stock, ours)
    prof = o.get("profile")
    if prof:
        lines += ["", "## cProfile of handle_message (a vignette + the long conversation)", "",
                  "Sorted by cumulative time:", "", "```", prof["cprofile_cumulative"].strip(), "```",
                  "", "Sorted by own time:", "", "```", prof["cprofile_self"].strip(), "```"]
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return text


# ---- main ---------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a much smaller run, to try it out")
    parser.add_argument("--no-train", action="store_true",
                        help="do not time our training; serve models/twitch-triage.tar.gz")
    parser.add_argument("--stock-model", help="reuse a stock model (skips rasa init)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    settings = settings_for(args)
    if settings.quick:
        settings.train_ours = False
    signal.signal(signal.SIGTERM, _on_sigterm)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="twitch-bench-"))
    meta = {"when": time.strftime("%Y-%m-%d %H:%M"), "load_before": machine_load(),
            "machine": f"{os.cpu_count()} CPUs, {platform.python_version()}"}
    from importlib.metadata import version

    meta["rasa"] = version("rasa")
    ours_server = None
    try:
        # 1. training (one after the other, so they do not compete for the CPUs)
        if args.stock_model:
            stock_model, stock_train = Path(args.stock_model), None
        else:
            log("training the stock assistant (rasa init --no-prompt)")
            stock_model, stock_train = train_stock(tmp)
            log(f"  {stock_train:.1f} s")
        if settings.train_ours:
            log("training ours (rasa train --force)")
            our_model, our_train = train_ours(tmp)
            log(f"  {our_train:.1f} s")
        else:
            our_model, our_train = servers.MODEL, None
            if not our_model.exists():
                raise RuntimeError(f"{our_model} is missing: run `make train` first")

        # 2. serving, start-up time (one at a time)
        log("starting the stock Rasa server")
        stock = serve_stock(tmp, stock_model)
        stock.train_s = stock_train
        log(f"  up in {stock.startup_s:.1f} s")
        log("starting our action server and Rasa server")
        ours, ours_server = serve_ours(tmp, our_model)
        ours.train_s = our_train
        log(f"  up in {ours.startup_s:.1f} s")

        async def first_message(bot: Bot, text: str) -> float:
            async with aiohttp.ClientSession() as session:
                return (await post(session, bot.url, f"bench-first-{uuid.uuid4().hex[:8]}", text))[0]

        stock.results["first_message_ms"] = round(asyncio.run(first_message(stock, "hello")), 1)
        ours.results["first_message_ms"] = round(asyncio.run(first_message(ours, "hi")), 1)

        # 3. scripts: ours recorded from vignettes (untimed), stock fixed
        log(f"recording {settings.vignettes} vignette conversations (untimed)")
        recorded = record_our_conversations(ours, settings.vignettes)
        ours.results["scripts"] = recorded
        our_conversations = [c["turns"] for c in recorded if not c["stuck"]] or [OUR_LONG_CYCLE[:4]]
        stock.results["scripts"] = STOCK_CONVERSATIONS
        asyncio.run(webhook_latency(stock, STOCK_CONVERSATIONS, 2))  # warm-up like ours had

        # 4. load, alternating bots so both see the same machine conditions
        for users in settings.users:
            for bot, conversations, concluding in ((stock, STOCK_CONVERSATIONS, False),
                                                   (ours, our_conversations, True)):
                log(f"{bot.name}: {users} user(s), up to {settings.messages} messages / {settings.seconds:g} s")
                bot.results[f"load_{users}"] = asyncio.run(load_run(
                    bot, conversations, users, settings.messages, settings.seconds, concluding))
                r = bot.results[f"load_{users}"]
                log(f"  {r['throughput']} msg/s, p50 {r['p50']} ms, p95 {r['p95']} ms, errors {r['errors']}")

        # 5. long conversations
        for bot, cycle in ((stock, STOCK_LONG_CYCLE), (ours, OUR_LONG_CYCLE)):
            log(f"{bot.name}: {settings.long_repeats} x {settings.long_turns}-turn conversation")
            bot.results["long"] = asyncio.run(long_conversation(
                bot, long_script(cycle, settings.long_turns), settings.long_repeats))
            log(f"  turn 1 {bot.results['long']['turn1']} ms, turn {settings.long_turns} "
                f"{bot.results['long']['turn_last']} ms")

        # 6. memory after the load
        stock.results["memory"] = {"rasa": rss_mb(stock.rasa_pid)}
        ours.results["memory"] = {"rasa": rss_mb(ours.rasa_pid), "actions": rss_mb(ours.action_pid)}

        # 7. where the time goes
        log("profiling one message's path")
        for bot, texts, conversations in ((stock, PARSE_TEXTS_STOCK, STOCK_CONVERSATIONS),
                                          (ours, PARSE_TEXTS_OURS, our_conversations)):
            bot.results["parse"] = asyncio.run(parse_latency(bot, texts, settings.parse_repeats))
            bot.results["webhook_single"] = asyncio.run(webhook_latency(
                bot, conversations, max(2, settings.parse_repeats // 2)))
            bot.results["tracker_get"] = tracker_endpoint_latency(bot, conversations[0][:4], settings.parse_repeats)
        ours.results["action_rt"] = action_round_trip(ours, our_conversations[0], settings.action_repeats)
        if settings.profile:
            log("in-process stage timing and cProfile (loads the model once more)")
            ours.results["profile"] = in_process_profile(
                tmp, our_model, ours, our_conversations[: 3 if settings.quick else 6],
                long_script(OUR_LONG_CYCLE, settings.long_turns), settings.long_repeats)
        meta["load_after"] = machine_load()

        # 8. report
        rows = build_rows(stock, ours, settings)
        report = write_report(OUT_DIR / "report.md", stock, ours, settings, rows, meta)
        (OUT_DIR / "results.json").write_text(json.dumps(
            {"meta": meta, "stock": stock.results, "ours": ours.results,
             "training": {"stock_s": stock.train_s, "ours_s": ours.train_s},
             "startup": {"stock_s": stock.startup_s, "ours_s": ours.startup_s}},
            indent=2, default=str))
        print()
        print(table(rows))
        print()
        print(f"Machine load before: {meta['load_before']}")
        print(f"Machine load after:  {meta['load_after']}")
        print(f"Full report: {OUT_DIR / 'report.md'}")
        return 0
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        return 130
    finally:
        if ours_server is not None:
            stop_servers(ours_server)
        stop_all()
        if args.keep:
            log(f"scratch directory kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
