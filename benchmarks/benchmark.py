"""Performance figures for the twitch-triage assistant, side by side with a stock Rasa bot.

    python -m benchmarks.benchmark [--quick]        (or: make bench / make bench-quick)

Trains the stock assistant (`rasa init`, the moodbot) and ours, serves both the same way
(REST channel, token API, SQLite tracker store), and measures every server under test
(a `Target`, benchmarks/targets.py) alike: full multi-turn conversations over
POST /webhooks/rest/webhook at each number of concurrent users in `Settings.users`, how a
turn's cost grows over a long conversation, start-up time, resident memory, and where one
message's time goes. Figures, not pass/fail: each figure is also given as a ratio to the
first target measured in the same run, which is what stays meaningful on a busy machine.
Output: a table on stdout and results/bench/report.md (plus results/bench/results.json).

All traffic goes to 127.0.0.1, every load run is bounded in messages and seconds, and
every process started here is stopped on exit, Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from benchmarks import probes
from benchmarks.load import scripted_load
from benchmarks.report import build_rows, write_report
from benchmarks.stock_bot import STOCK_WORKLOAD, stock, train_stock
from benchmarks.targets import Running, Target, cluster, our_workload, ours
from tools.bot_client import BotClient
from tools.cli import progress_log, stop_on_sigterm
from tools.process_figures import machine_load, process_memory
from tools.servers import MODEL, RASA, ROOT, ProcessGroup, rasa_env
from tools.stats import table
from tools.vignettes import load_vignettes, play_vignette

OUT_DIR = ROOT / "results" / "bench"
log = progress_log("bench")


@dataclass
class Settings:
    quick: bool = False
    messages: int = 200  # per load run at most, or messages_per_user per user if more
    messages_per_user: int = 20  # so a run with many users is more than its ramp-up
    seconds: float = 60  # per load run at most
    users: List[int] = field(default_factory=lambda: [1, 20, 50])  # one load run per count
    warmup_messages: int = 200  # per target, untimed, at the largest user count
    cluster_processes: List[int] = field(default_factory=lambda: [1, 2, 3])  # one cluster each
    long_turns: int = 30
    long_repeats: int = 3
    vignettes: int = 10  # recorded for our conversations
    parse_repeats: int = 20
    action_repeats: int = 30
    train_ours: bool = True

    def messages_for(self, users: int) -> int:
        return max(self.messages, self.messages_per_user * users)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "Settings":
        if args.quick:  # serves the trained model rather than timing a training
            return cls(
                quick=True,
                messages=40,
                messages_per_user=2,
                seconds=20,
                users=[1, 20],
                warmup_messages=40,
                cluster_processes=[2],
                long_repeats=1,
                vignettes=3,
                parse_repeats=5,
                action_repeats=10,
                train_ours=False,
            )
        return cls(train_ours=not args.no_train)


# ---- phases ---------------------------------------------------------------------------


def train_ours(tmp: Path, group: ProcessGroup) -> Tuple[Path, float]:
    subprocess.run(["make", "-s", "models/spacy_twitch/meta.json"], cwd=ROOT, check=True)
    out = tmp / "ours-model"
    seconds = group.run(
        [RASA, "train", "--domain", "domain", "--force", "--fixed-model-name", "bench", "--out", str(out)],
        tmp / "ours-train.log",
        "rasa train (ours)",
        env=rasa_env(RASA_CACHE_DIRECTORY=str(tmp / "cache-ours")),
    )
    return out / "bench.tar.gz", seconds


def make_targets(
    args: argparse.Namespace, settings: Settings, tmp: Path, group: ProcessGroup, database: str
) -> List[Target]:
    """Trains one after the other (so they do not compete for the CPUs); the baseline first."""
    if args.stock_model:
        stock_model, stock_train = Path(args.stock_model), None
    else:
        log("training the stock assistant (rasa init --no-prompt)")
        stock_model, stock_train = train_stock(tmp, group)
        log(f"  {stock_train:.1f} s")
    if settings.train_ours:
        log("training ours (rasa train --force)")
        our_model, our_train = train_ours(tmp, group)
        log(f"  {our_train:.1f} s")
    else:
        our_model, our_train = MODEL, None
        if not our_model.exists():
            raise RuntimeError(f"{our_model} is missing: run `make train` first")
    ours_workload = our_workload(settings.vignettes)
    return [
        Target("stock", "stock (moodbot)", stock(tmp, stock_model, group), STOCK_WORKLOAD, train_s=stock_train),
        Target(
            "ours",
            "ours, 1 process",
            ours(our_model, tmp / "ours", group),
            ours_workload,
            train_s=our_train,
            profile_model=our_model,
        ),
    ] + [
        # The same recorded conversations as the single process (the workload is shared).
        Target(
            f"cluster{n}",
            f"cluster, {n} process{'es' if n > 1 else ''}",
            cluster(n, our_model, tmp / f"cluster{n}", database),
            ours_workload,
            held_to_goals=n == 2,
            users=[u for u in settings.users if u > 1],
        )
        for n in settings.cluster_processes
    ]


def start(targets: Sequence[Target]) -> None:
    """One at a time, so each start-up is timed on its own."""
    for target in targets:
        log(f"starting {target.name}")
        running = target.up()
        log(f"  up in {target.startup_s:.1f} s")
        target.results["first_message_ms"] = round(
            asyncio.run(probes.first_message(running, target.workload.first_text)), 1
        )


def record_vignettes(target: Target, running: Running) -> None:
    """Plays vignettes once (tracker reads allowed here, untimed) and keeps the user turns:
    replaying them is deterministic and needs no tracker reads. Targets that share the
    workload reuse the recording."""
    workload = target.workload
    if workload.vignettes and not workload.conversations:
        log(f"recording {workload.vignettes} vignette conversations (untimed)")
        vignettes = load_vignettes()
        picked = vignettes[:: max(1, len(vignettes) // workload.vignettes)][: workload.vignettes]
        outcomes = [(v["id"], play_vignette(BotClient(running.url, running.token), v)) for v in picked]
        target.results["scripts"] = [
            {"id": vid, "turns": o.user_turns, "level": o.level, "stuck": o.stuck} for vid, o in outcomes
        ]
        workload.conversations = [o.user_turns for _, o in outcomes if not o.stuck] or [workload.long_cycle[:4]]
    else:
        target.results["scripts"] = workload.conversations
        # the same warm-up the recording gives the others
        asyncio.run(probes.webhook_latency(running, target.name, workload.conversations, 2))


def warm_up_under_load(targets: Sequence[Target], settings: Settings) -> None:
    """An untimed run with many users at once for every target before any timed one: pools
    (database and HTTP connections) fill and rarely taken paths run once, so that no target's
    first timed run pays for it. The single-user runs alone would warm only some targets."""
    users = max(settings.users)
    for target in targets:
        if target.running is None:
            continue
        log(f"{target.name}: warm-up, {users} users, {settings.warmup_messages} messages (untimed)")
        asyncio.run(
            scripted_load(
                target.running.url,
                f"{target.name}-warmup",
                target.workload.conversations,
                users,
                settings.warmup_messages,
                settings.seconds,
                target.workload.concludes,
            )
        )


def measure_load(targets: Sequence[Target], settings: Settings) -> None:
    """Alternating targets at each user count, so all see the same machine conditions."""
    warm_up_under_load(targets, settings)
    for users in sorted({u for t in targets for u in (t.users or settings.users)}):
        for target in targets:
            if users not in (target.users or settings.users) or target.running is None:
                continue
            messages = settings.messages_for(users)
            log(f"{target.name}: {users} user(s), up to {messages} messages / {settings.seconds:g} s")
            result = asyncio.run(
                scripted_load(
                    target.running.url,
                    target.name,
                    target.workload.conversations,
                    users,
                    messages,
                    settings.seconds,
                    target.workload.concludes,
                )
            )
            target.results[f"load_{users}"] = result
            log(
                f"  {result['throughput']} msg/s, p50 {result['p50']} ms, p95 {result['p95']} ms, "
                f"errors {result['errors']}"
            )


def measure_long_conversation(target: Target, running: Running, settings: Settings) -> None:
    log(f"{target.name}: {settings.long_repeats} x {settings.long_turns}-turn conversation")
    turns = probes.long_script(target.workload.long_cycle, settings.long_turns)
    long = asyncio.run(probes.long_conversation(running, target.name, turns, settings.long_repeats))
    target.results["long"] = long
    log(f"  turn 1 {long['turn1']} ms, turn {settings.long_turns} {long['turn_last']} ms")


def measure_where_time_goes(
    target: Target, running: Running, settings: Settings, tmp: Path, group: ProcessGroup
) -> None:
    workload, results = target.workload, target.results
    results["parse"] = asyncio.run(probes.parse_latency(running, workload.parse_texts, settings.parse_repeats))
    results["webhook_single"] = asyncio.run(
        probes.webhook_latency(running, target.name, workload.conversations, max(2, settings.parse_repeats // 2))
    )
    results["tracker_get"] = probes.tracker_endpoint_latency(
        running, workload.conversations[0][:4], settings.parse_repeats
    )
    if running.action_url:
        results["action_rt"] = probes.action_round_trip(
            running,
            {
                "short": workload.conversations[0][:3],
                "long": probes.long_script(workload.long_cycle, settings.long_turns),
            },
            settings.action_repeats,
        )
    if target.profile_model and running.action_url:
        log(f"{target.name}: in-process stage timing and cProfile (loads the model once more)")
        results["profile"] = probes.in_process_profile(
            tmp,
            target.profile_model,
            running,
            workload.conversations[: 3 if settings.quick else 6],
            probes.long_script(workload.long_cycle, settings.long_turns),
            settings.long_repeats,
            group,
        )


def measure(targets: Sequence[Target], settings: Settings, tmp: Path, group: ProcessGroup) -> None:
    for target in targets:
        assert target.running is not None
        record_vignettes(target, target.running)
    measure_load(targets, settings)
    for target in targets:
        assert target.running is not None
        measure_long_conversation(target, target.running, settings)
    for target in targets:  # memory after the load
        assert target.running is not None
        target.results["memory"] = {name: process_memory(pid).rounded() for name, pid in target.running.pids.items()}
    log("profiling one message's path")
    for target in targets:
        assert target.running is not None
        measure_where_time_goes(target, target.running, settings, tmp, group)


def report(targets: Sequence[Target], settings: Settings, meta: Dict[str, object]) -> None:
    (OUT_DIR / "report.md").write_text(write_report(targets, settings, meta))
    (OUT_DIR / "results.json").write_text(
        json.dumps(
            {
                "meta": meta,
                **{t.name: t.results for t in targets},
                "training": {f"{t.name}_s": t.train_s for t in targets},
                "startup": {f"{t.name}_s": t.startup_s for t in targets},
            },
            indent=2,
            default=str,
        )
    )
    print()
    print(table(*build_rows(targets, settings)))
    print()
    print(f"Machine load before: {meta['load_before']}")
    print(f"Machine load after:  {meta['load_after']}")
    print(f"Full report: {OUT_DIR / 'report.md'}")


# ---- the clusters' PostgreSQL database ------------------------------------------------

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"


def create_database() -> str:
    """A fresh database for this run's clusters (`make services` provides PostgreSQL)."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return name


def drop_database(name: str) -> None:
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


# ---- main ---------------------------------------------------------------------------


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a much smaller run, to try it out")
    parser.add_argument(
        "--no-train", action="store_true", help="do not time our training; serve models/twitch-triage.tar.gz"
    )
    parser.add_argument("--stock-model", help="reuse a stock model (skips rasa init)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    settings = Settings.from_args(args)
    stop_on_sigterm()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="twitch-bench-"))
    group = ProcessGroup()
    meta: Dict[str, object] = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "load_before": machine_load(),
        "machine": f"{os.cpu_count()} CPUs, {platform.python_version()}",
        "rasa": version("rasa"),
    }
    targets: List[Target] = []
    database = create_database()
    try:
        targets = make_targets(args, settings, tmp, group, database)
        start(targets)
        measure(targets, settings, tmp, group)
        meta["load_after"] = machine_load(group.pids)
        report(targets, settings, meta)
        return 0
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        return 130
    finally:
        for target in targets:
            target.down()
        group.stop()
        drop_database(database)
        if args.keep:
            log(f"scratch directory kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
