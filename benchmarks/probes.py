"""Timing probes, one user at a time: how a turn's cost grows over a long conversation,
and where one message's time goes (NLU alone, the whole turn, a tracker read, the action
server on its own, and stage by stage inside the Rasa process)."""

import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional

import requests

from benchmarks.load import REQUEST_TIMEOUT, client_session, post_message
from benchmarks.targets import Running
from tools.servers import ROOT, ProcessGroup
from tools.stats import percentile, rounded

PROFILE_SECONDS = 600


def long_script(cycle: List[str], turns: int) -> List[str]:
    """`turns` turns from `cycle`; the last has the same text as the first."""
    return [cycle[i % len(cycle)] for i in range(turns - 1)] + [cycle[0]]


async def first_message(bot: Running, text: str) -> float:
    async with client_session(1) as session:
        return (await post_message(session, bot.url, f"bench-first-{uuid.uuid4().hex[:8]}", text))[0]


async def long_conversation(bot: Running, name: str, turns: List[str], repeats: int) -> Dict[str, object]:
    """Per-turn latency (median over `repeats` single-user conversations of these turns)."""
    runs: List[List[float]] = []
    async with client_session(1) as session:
        for _ in range(repeats):
            sender = f"bench-long-{name}-{uuid.uuid4().hex[:12]}"
            runs.append([(await post_message(session, bot.url, sender, text))[0] for text in turns])
    per_turn = [statistics.median(run[i] for run in runs) for i in range(len(turns))]
    first, last = per_turn[0], per_turn[-1]
    early, late = statistics.median(per_turn[1:6]), statistics.median(per_turn[-5:])
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
    }


async def parse_latency(bot: Running, texts: List[str], repeats: int) -> Dict[str, object]:
    """NLU alone: POST /model/parse."""
    times = []
    async with client_session(1) as session:
        for _ in range(repeats):
            for text in texts:
                start = time.perf_counter()
                async with session.post(f"{bot.url}/model/parse?token={bot.token}", json={"text": text}) as response:
                    await response.read()
                    response.raise_for_status()
                times.append((time.perf_counter() - start) * 1000)
    return {"p50": rounded(percentile(times, 50)), "p95": rounded(percentile(times, 95)), "n": len(times)}


async def webhook_latency(bot: Running, name: str, conversations: List[List[str]], repeats: int) -> Dict[str, object]:
    """Single-user webhook latency on whole conversations (the same turns as under load)."""
    times = []
    async with client_session(1) as session:
        for index in range(repeats):
            sender = f"bench-prof-{name}-{uuid.uuid4().hex[:12]}"
            for text in conversations[index % len(conversations)]:
                times.append((await post_message(session, bot.url, sender, text))[0])
    return {"p50": rounded(percentile(times, 50)), "n": len(times)}


def _converse(bot: Running, sender: str, turns: List[str]) -> None:
    for text in turns:
        requests.post(
            f"{bot.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=REQUEST_TIMEOUT
        )


def timed_ms(request: Callable[[requests.Session], requests.Response], repeats: int) -> List[float]:
    """Milliseconds of each of `repeats` calls of `request` on one session; fails on an HTTP error."""
    times = []
    with requests.Session() as session:
        for _ in range(repeats):
            start = time.perf_counter()
            response = request(session)
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return times


def tracker_endpoint_latency(bot: Running, turns: List[str], repeats: int) -> Dict[str, object]:
    """GET /conversations/<id>/tracker: a tracker-store read plus serialisation."""
    sender = f"bench-tracker-{uuid.uuid4().hex[:12]}"
    _converse(bot, sender, turns)
    times = timed_ms(
        lambda session: session.get(
            f"{bot.url}/conversations/{sender}/tracker", params={"token": bot.token}, timeout=30
        ),
        repeats,
    )
    return {"turns": len(turns), "p50": rounded(percentile(times, 50))}


def action_round_trip(bot: Running, scripts: Dict[str, List[str]], repeats: int) -> Dict[str, object]:
    """Times the action server's /webhook directly with payloads captured from real
    conversations (tracker with all events + domain, as Rasa sends them), one per script."""
    domain = requests.get(
        f"{bot.url}/domain?token={bot.token}", headers={"Accept": "application/json"}, timeout=30
    ).json()
    custom = requests.get(f"{bot.action_url}/actions", timeout=30).json()
    results: Dict[str, object] = {"custom_actions": len(custom)}
    for label, script in scripts.items():
        sender = f"bench-capture-{label}-{uuid.uuid4().hex[:12]}"
        _converse(bot, sender, script)
        tracker = requests.get(
            f"{bot.url}/conversations/{sender}/tracker",
            params={"token": bot.token, "include_events": "ALL"},
            timeout=30,
        ).json()
        body = json.dumps(
            {
                "next_action": "action_extract_findings",
                "sender_id": sender,
                "tracker": tracker,
                "domain": domain,
                "version": "3.6",
            }
        )
        times = timed_ms(
            lambda session: session.post(
                f"{bot.action_url}/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
            ),
            repeats,
        )
        results[label] = {
            "user_turns": len(script),
            "events": len(tracker.get("events") or []),
            "payload_kb": round(len(body) / 1024, 1),
            "domain_kb": round(len(json.dumps(domain)) / 1024, 1),
            "p50": rounded(percentile(times, 50)),
            "p95": rounded(percentile(times, 95)),
        }
    return results


def in_process_profile(
    tmp: Path,
    model: Path,
    bot: Running,
    conversations: List[List[str]],
    long_turns: List[str],
    repeats: int,
    group: ProcessGroup,
) -> Optional[dict]:
    """Stage timings and cProfile of handle_message (benchmarks/profile_turn.py), the model
    loaded in a process of its own and the running action server called over HTTP."""
    scripts = tmp / "profile-scripts.json"
    scripts.write_text(json.dumps({"conversations": conversations, "long": long_turns}))
    out, log = tmp / "profile.json", tmp / "profile.log"
    try:
        group.run(
            [
                sys.executable,
                "-m",
                "benchmarks.profile_turn",
                "--model",
                str(model),
                "--action-url",
                f"{bot.action_url}/webhook",
                "--db",
                str(tmp / "profile.db"),
                "--scripts",
                str(scripts),
                "--out",
                str(out),
                "--long-repeats",
                str(repeats),
            ],
            log,
            "in-process profile",
            cwd=ROOT,
            timeout=PROFILE_SECONDS,
        )
    except RuntimeError as error:
        print(f"  {str(error).splitlines()[0]}", flush=True)
        return None
    return json.loads(out.read_text()) if out.exists() else None
