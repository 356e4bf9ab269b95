"""Starts and stops the real servers (action server + Rasa server with the REST channel,
the token-protected HTTP API and the SQLite tracker store) for tests and measurements."""

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import requests

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = ROOT / "models" / "twitch-triage.tar.gz"
STARTUP_SECONDS = 240


@dataclass
class RasaServer:
    url: str
    token: str
    db_path: Path
    processes: List[subprocess.Popen]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(check, seconds: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text()[-3000:]}")
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not start in {seconds} s:\n{log.read_text()[-3000:]}")


def start_servers(
    workdir: Path,
    db_path: Path,
    model: Path = MODEL,
    credentials: Path = ROOT / "credentials.yml",
    extra_env: Optional[Dict[str, str]] = None,
) -> RasaServer:
    """Starts the action server and the Rasa server (REST, token API, SQLite) on free ports."""
    if not model.exists():
        raise RuntimeError(f"{model} is missing: run `make train` first (make test does)")
    rasa_port, action_port = _free_port(), _free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ACTION_SERVER_PORT": str(action_port),
        "TRACKER_DB": str(db_path),
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        **(extra_env or {}),
    }
    action_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    actions = subprocess.Popen(
        [RASA, "run", "actions", "--actions", "actions", "--port", str(action_port)],
        cwd=ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT,
    )
    rasa = subprocess.Popen(
        [RASA, "run", "--model", str(model), "--endpoints", "endpoints.yml",
         "--credentials", str(credentials), "--port", str(rasa_port),
         "--enable-api", "--auth-token", token],
        cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{rasa_port}"
    server = RasaServer(url=url, token=token, db_path=db_path, processes=[rasa, actions])
    try:
        _wait_until(lambda: requests.get(f"http://127.0.0.1:{action_port}/health", timeout=2).ok,
                    STARTUP_SECONDS, "action server", actions, action_log)
        _wait_until(lambda: requests.get(f"{url}/status?token={token}", timeout=2).ok,
                    STARTUP_SECONDS, "Rasa server", rasa, rasa_log)
    except BaseException:
        stop_servers(server)  # neither process outlives a failed start
        raise
    return server


def stop_servers(server: RasaServer) -> None:
    for process in server.processes:
        process.terminate()
    for process in server.processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
