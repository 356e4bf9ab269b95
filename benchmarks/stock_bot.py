"""The stock Rasa assistant (`rasa init`, the moodbot) as the benchmark's baseline: trained
with `rasa init --no-prompt` and served like ours (REST channel, token API, SQLite)."""

import uuid
from pathlib import Path
from typing import Callable, Tuple

import requests
import yaml

from benchmarks.targets import Running, Workload
from tools.servers import RASA, STARTUP_SECONDS, ProcessGroup, free_port, rasa_env, stop_processes, wait_until

STOCK_WORKLOAD = Workload(
    conversations=[
        ["hello", "I am feeling great", "bye"],
        ["hi", "I am sad", "yes", "goodbye"],
        ["hey there", "very unhappy", "no", "bye bye"],
        ["good morning", "not good", "yes it did", "see you later"],
        ["hey", "are you a bot?", "perfect", "goodbye"],
    ],
    long_cycle=["hello", "I am sad", "yes", "hi", "I am great", "are you a bot?"],
    parse_texts=["hello", "I am sad", "yes", "bye"],
    first_text="hello",
    concludes=False,
)


def train_stock(tmp: Path, group: ProcessGroup) -> Tuple[Path, float]:
    """`rasa init` in a fresh folder (it trains the moodbot); the model and the seconds."""
    project = tmp / "stock"
    project.mkdir()
    seconds = group.run(
        [RASA, "init", "--no-prompt", "--init-dir", str(project)],
        tmp / "stock-train.log",
        "rasa init",
        cwd=tmp,
        env=rasa_env(RASA_CACHE_DIRECTORY=str(tmp / "cache-stock")),
    )
    models = sorted(project.glob("models/*.tar.gz"))
    if not models:
        raise RuntimeError("rasa init produced no model")
    return models[-1], seconds


def stock(tmp: Path, model: Path, group: ProcessGroup) -> Callable[[], Running]:
    """Serves the stock `model` with the REST channel, the token API and a SQLite store."""

    def start() -> Running:
        project = model.parents[1]
        (project / "bench-endpoints.yml").write_text(
            yaml.safe_dump(
                {
                    "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp / "stock.db")},
                }
            )
        )
        (project / "bench-credentials.yml").write_text("rest:\n")
        port, token = free_port(), uuid.uuid4().hex
        log = tmp / "stock-rasa.log"
        process = group.start(
            [
                RASA,
                "run",
                "--model",
                str(model),
                "--endpoints",
                "bench-endpoints.yml",
                "--credentials",
                "bench-credentials.yml",
                "--port",
                str(port),
                "--enable-api",
                "--auth-token",
                token,
            ],
            log,
            cwd=project,
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: requests.get(f"{url}/status?token={token}", timeout=2).ok,
            STARTUP_SECONDS,
            "stock Rasa server",
            process,
            log,
        )
        return Running(url, token, lambda: stop_processes([process]), pids={"rasa": process.pid})

    return start
