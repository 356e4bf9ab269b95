"""Starts and stops the real servers (action server + Rasa server with the REST channel,
the token-protected HTTP API and the SQLite tracker store) for tests and measurements."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
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
    processes: List[subprocess.Popen]  # [rasa, actions]
    # What restart_process needs to start one of them again on the same port and db.
    action_url: Optional[str] = None
    workdir: Optional[Path] = None
    commands: Dict[str, List[str]] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)
    logs: Dict[str, List[Path]] = field(default_factory=dict)  # every log file, oldest first

    @property
    def rasa(self) -> subprocess.Popen:
        return self.processes[0]

    @property
    def actions(self) -> subprocess.Popen:
        return self.processes[1]


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
    commands = {
        "actions": [RASA, "run", "actions", "--actions", "actions", "--port", str(action_port)],
        "rasa": [RASA, "run", "--model", str(model), "--endpoints", "endpoints.yml",
                 "--credentials", str(credentials), "--port", str(rasa_port),
                 "--enable-api", "--auth-token", token],
    }
    actions = subprocess.Popen(
        commands["actions"], cwd=ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT,
    )
    rasa = subprocess.Popen(
        commands["rasa"], cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{rasa_port}"
    server = RasaServer(
        url=url, token=token, db_path=db_path, processes=[rasa, actions],
        action_url=f"http://127.0.0.1:{action_port}", workdir=workdir, commands=commands,
        env=env, logs={"rasa": [rasa_log], "actions": [action_log]},
    )
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


# ---- one process at a time (crash-recovery tests) -------------------------------------

_INDEX = {"rasa": 0, "actions": 1}


def _health_check(server: RasaServer, which: str):
    if which == "rasa":
        return lambda: requests.get(f"{server.url}/status?token={server.token}", timeout=2).ok
    return lambda: requests.get(f"{server.action_url}/health", timeout=2).ok


def kill_process(server: RasaServer, which: str, sig: int = signal.SIGKILL) -> int:
    """Sends `sig` (default SIGKILL: no clean shutdown) to "rasa" or "actions"; waits for it
    to be gone. Returns its exit code (-9 after a SIGKILL)."""
    process = server.processes[_INDEX[which]]
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=60)


def start_process(server: RasaServer, which: str) -> Path:
    """Starts "rasa" or "actions" again with the same command line, port, token and SQLite
    db as start_servers did (the old one must be gone); waits until it answers. Its output
    goes to a new log file (rasa.2.log, ...), returned and appended to server.logs[which]."""
    if not server.commands:
        raise RuntimeError("this RasaServer was not made by start_servers")
    index = _INDEX[which]
    if server.processes[index].poll() is None:
        raise RuntimeError(f"the {which} process {server.processes[index].pid} is still running")
    logs = server.logs.setdefault(which, [])
    log = server.workdir / f"{which}.{len(logs) + 1}.log"
    process = subprocess.Popen(
        server.commands[which], cwd=ROOT, env=server.env, stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    server.processes[index] = process
    logs.append(log)
    _wait_until(_health_check(server, which), STARTUP_SECONDS, f"restarted {which}", process, log)
    return log


def restart_process(server: RasaServer, which: str, sig: int = signal.SIGKILL) -> Path:
    """kill_process then start_process: a crash (SIGKILL by default) and a fresh start."""
    kill_process(server, which, sig)
    return start_process(server, which)
