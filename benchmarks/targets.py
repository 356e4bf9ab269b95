"""The servers under test: each a named target that starts, answers on a base URL with a
token, and stops; and the workload it is measured with (our assistant's or the stock
moodbot's). benchmarks/benchmark.py measures every target the same way, side by side."""

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from deploy.cluster import ClusterSettings, start_cluster
from tools.servers import ProcessGroup, RasaServer, free_port, start_servers, stop_servers


@dataclass
class Workload:
    """What a bot is asked. `vignettes` > 0: `conversations` are recorded from that many
    vignettes on the first target that uses this workload (see benchmark.record_vignettes)."""

    conversations: List[List[str]]
    long_cycle: List[str]  # small talk that keeps a long conversation going
    parse_texts: List[str]
    first_text: str
    concludes: bool  # whole conversations end with an assessment card
    vignettes: int = 0


@dataclass
class Running:
    """A started target. `pids` (name -> pid) are measured for memory; `action_url` is set
    when its action server can be timed directly."""

    url: str
    token: str
    stop: Callable[[], None]
    pids: Dict[str, int] = field(default_factory=dict)
    action_url: Optional[str] = None


@dataclass
class Target:
    name: str
    label: str  # the report's column header
    start: Callable[[], Running]
    workload: Workload
    train_s: Optional[float] = None
    held_to_goals: bool = False  # the goals in benchmarks/report.py are checked on it
    users: Optional[List[int]] = None  # load runs; None: Settings.users
    profile_model: Optional[Path] = None  # a model to time stage by stage in-process
    startup_s: float = 0.0
    running: Optional[Running] = None
    results: Dict[str, object] = field(default_factory=dict)

    def up(self) -> Running:
        """Starts it; the start-up time is until it answers."""
        started = time.perf_counter()
        self.running = self.start()
        self.startup_s = time.perf_counter() - started
        return self.running

    def down(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


# ---- our assistant: action server + Rasa server, as tools/servers.py starts them ---------


def our_workload(vignettes: int) -> Workload:
    """Our conversations are recorded from `vignettes` vignettes at run time."""
    return Workload(
        conversations=[],
        # turn 30 repeats turn 1's text (benchmark.long_script), so the two are the same work
        # apart from the history
        long_cycle=[
            "hi",
            "what's the difference between a twitch and a tremor",
            "is it ALS?",
            "what is BFS",
            "should I take magnesium",
            "can caffeine cause twitching",
            "what tests will I need",
            "thanks",
            "are you a bot?",
        ],
        parse_texts=[
            "my calves keep jumping at night, I've been living on energy drinks",
            "no",
            "is it ALS?",
            "about a week",
        ],
        first_text="hi",
        concludes=True,
        vignettes=vignettes,
    )


def ours(model: Path, workdir: Path, group: ProcessGroup) -> Callable[[], Running]:
    """Starts our action server and Rasa server (REST, token API, SQLite) from `model`."""

    def start() -> Running:
        workdir.mkdir(exist_ok=True)
        server: RasaServer = start_servers(workdir, workdir / "conversations.db", model=model, group=group)
        return Running(
            server.url,
            server.token,
            lambda: stop_servers(server),
            pids={"rasa": server.rasa.pid, "actions": server.actions.pid},
            action_url=server.action_url,
        )

    return start


# ---- the cluster: `processes` Rasa processes behind HAProxy, PostgreSQL and Redis ------------


def cluster(processes: int, model: Path, workdir: Path, database: str) -> Callable[[], Running]:
    """Starts deploy/cluster.py's cluster (one action server) on free ports, storing in
    `database`, which the caller creates and drops."""

    def start() -> Running:
        settings = ClusterSettings(
            run_dir=workdir,
            port=free_port(),
            bind_address="127.0.0.1",
            rasa_ports=[free_port() for _ in range(processes)],
            action_ports=[free_port()],
            action_balancer_port=free_port(),
            auth_token=uuid.uuid4().hex,
            model=model,
            environment={"CLUSTER_DB": database},
        )
        running = start_cluster(settings)
        pids = {f"rasa-{i}": running.pid(f"rasa-{i}") for i in range(1, processes + 1)}
        pids["actions"] = running.pid("actions-1")
        return Running(running.url, running.token or "", running.stop, pids=pids)

    return start
