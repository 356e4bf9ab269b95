"""Starts and stops the real servers (action server + Rasa server with the REST channel,
the token-protected HTTP API and the SQLite tracker store) for tests and measurements,
and the process helpers every harness shares: free ports, waiting for a server, the
environment children run in, and a group that stops everything it started."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = ROOT / "models" / "twitch-triage.tar.gz"
STARTUP_SECONDS = 240
STOP_SECONDS = 20


def rasa_env(**extra: str) -> Dict[str, str]:
    """The environment `make` gives Rasa (the Makefile's exports), so a harness started
    directly runs the servers exactly as `make serve` does."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], seconds: float, what: str, process: subprocess.Popen, log: Path) -> None:
    """Polls `check` until it is true; fails early with the log's tail if `process` exits."""
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


def stop_processes(processes: Sequence[subprocess.Popen]) -> None:
    """SIGTERM to all first (they shut down in parallel), then SIGKILL whatever lingers."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class ProcessGroup:
    """Every process one harness run starts, so a single stop() in a `finally` ends them
    all, even after a start that failed half-way."""

    def __init__(self) -> None:
        self.processes: List[subprocess.Popen] = []

    def start(
        self, command: List[str], log: Path, cwd: Path = ROOT, env: Optional[Dict[str, str]] = None
    ) -> subprocess.Popen:
        """Starts `command` with its output in `log`."""
        with log.open("w") as output:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(command, cwd=cwd, env=env or rasa_env(), stdout=output, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def run(
        self,
        command: List[str],
        log: Path,
        what: str,
        cwd: Path = ROOT,
        env: Optional[Dict[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> float:
        """Runs `command` to completion; returns its wall time in seconds."""
        started = time.perf_counter()
        process = self.start(command, log, cwd, env)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise RuntimeError(f"{what} took more than {timeout} s; see {log}") from None
        if code != 0:
            raise RuntimeError(f"{what} failed (exit {code}); see {log}:\n{log.read_text()[-2000:]}")
        return time.perf_counter() - started

    @property
    def pids(self) -> List[int]:
        return [process.pid for process in self.processes]

    def stop(self) -> None:
        stop_processes(self.processes)


@dataclass
class RasaServer:
    url: str
    token: str
    db_path: Path
    processes: List[subprocess.Popen]  # [rasa, actions]
    # What start_process needs to start one of them again on the same port and db.
    action_url: str
    workdir: Path
    commands: Dict[str, List[str]] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)
    logs: Dict[str, List[Path]] = field(default_factory=dict)  # every log file, oldest first

    @property
    def rasa(self) -> subprocess.Popen:
        return self.processes[0]

    @property
    def actions(self) -> subprocess.Popen:
        return self.processes[1]


def start_servers(
    workdir: Path,
    db_path: Path,
    model: Path = MODEL,
    credentials: Path = ROOT / "credentials.yml",
    extra_env: Optional[Dict[str, str]] = None,
    group: Optional[ProcessGroup] = None,
) -> RasaServer:
    """Starts the action server and the Rasa server (REST, token API, SQLite) on free ports.
    With `group`, both processes are also recorded there."""
    if not model.exists():
        raise RuntimeError(f"{model} is missing: run `make train` first (make test does)")
    group = group or ProcessGroup()
    rasa_port, action_port = free_port(), free_port()
    token = secrets.token_hex(16)
    env = rasa_env(ACTION_SERVER_PORT=str(action_port), TRACKER_DB=str(db_path), **(extra_env or {}))
    action_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    commands = {
        "actions": [RASA, "run", "actions", "--actions", "actions", "--port", str(action_port)],
        "rasa": [
            RASA,
            "run",
            "--model",
            str(model),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            str(credentials),
            "--port",
            str(rasa_port),
            "--enable-api",
            "--auth-token",
            token,
        ],
    }
    actions = group.start(commands["actions"], action_log, env=env)
    rasa = group.start(commands["rasa"], rasa_log, env=env)
    url = f"http://127.0.0.1:{rasa_port}"
    server = RasaServer(
        url=url,
        token=token,
        db_path=db_path,
        processes=[rasa, actions],
        action_url=f"http://127.0.0.1:{action_port}",
        workdir=workdir,
        commands=commands,
        env=env,
        logs={"rasa": [rasa_log], "actions": [action_log]},
    )
    try:
        wait_until(_health_check(server, "actions"), STARTUP_SECONDS, "action server", actions, action_log)
        wait_until(_health_check(server, "rasa"), STARTUP_SECONDS, "Rasa server", rasa, rasa_log)
    except BaseException:
        stop_servers(server)  # neither process outlives a failed start
        raise
    return server


def stop_servers(server: RasaServer) -> None:
    stop_processes(server.processes)


# ---- one process at a time (crash-recovery tests) -------------------------------------

_INDEX = {"rasa": 0, "actions": 1}


def _health_check(server: RasaServer, which: str) -> Callable[[], bool]:
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
    index = _INDEX[which]
    if server.processes[index].poll() is None:
        raise RuntimeError(f"the {which} process {server.processes[index].pid} is still running")
    logs = server.logs.setdefault(which, [])
    log = server.workdir / f"{which}.{len(logs) + 1}.log"
    process = ProcessGroup().start(server.commands[which], log, env=server.env)
    server.processes[index] = process
    logs.append(log)
    wait_until(_health_check(server, which), STARTUP_SECONDS, f"restarted {which}", process, log)
    return log
