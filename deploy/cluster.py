"""`make serve-cluster`: the assistant as several Rasa processes behind a load balancer.

    RASA_PROCESSES=2 ACTION_SERVERS=1 python -m deploy.cluster

supervisord (Debian's supervisor) runs, and restarts when they die:
  * RASA_PROCESSES `rasa run` processes, one Sanic worker each, with every channel of
    `make serve` (REST, widget, Telegram and Slack when their tokens are set, the token
    API with RASA_AUTH_TOKEN or RASA_JWT_SECRET);
  * ACTION_SERVERS action servers;
  * HAProxy on RASA_PORT (5005), checking every process twice a second and sending each
    request to the least busy one; a second listener balances the action servers.
Conversations are in PostgreSQL, one conversation's messages are taken in turn through
the Redis lock store (deploy/endpoints.yml). `make services` provides both.
Ctrl-C or SIGTERM stops everything this started. README, "Deployment".
"""

import os
import signal
import socket
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests
import yaml

from channels.credentials import credentials

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))
MODEL = ROOT / "models" / "twitch-triage.tar.gz"
ENDPOINTS = ROOT / "deploy" / "endpoints.yml"
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
STARTUP_SECONDS = 300

# What deploy/endpoints.yml reads, with the defaults of a machine that runs everything.
SERVICE_DEFAULTS = {
    "PGHOST": "127.0.0.1",
    "PGPORT": "5432",
    "PGUSER": "postgres",
    "PGPASSWORD": "",
    "CLUSTER_DB": "twitch_triage",
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_DB": "1",
}


@dataclass
class ClusterSettings:
    run_dir: Path
    port: int = 5005
    bind_address: str = "0.0.0.0"
    rasa_ports: List[int] = field(default_factory=lambda: [5101, 5102])
    action_ports: List[int] = field(default_factory=lambda: [5201])
    action_balancer_port: int = 5200
    model: Path = MODEL
    auth_token: Optional[str] = None
    jwt_secret: Optional[str] = None
    cors: Optional[str] = None
    environment: Dict[str, str] = field(default_factory=dict)  # overrides for every process


@dataclass
class Cluster:
    settings: ClusterSettings
    supervisor: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def token(self) -> Optional[str]:
        return self.settings.auth_token

    def supervisorctl(self, *command: str) -> str:
        conf = self.settings.run_dir / "supervisord.conf"
        done = subprocess.run(["supervisorctl", "-c", str(conf), *command], capture_output=True, text=True, timeout=60)
        return done.stdout

    def pid(self, program: str) -> int:
        """The process id of one program ("rasa-1", "actions-1", "haproxy"); 0 if down."""
        return int(self.supervisorctl("pid", program).strip() or 0)

    def balancer_statistics(self) -> List[Dict[str, str]]:
        """HAProxy's "show stat": one row per frontend, backend and server."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(self.settings.run_dir / "haproxy.sock"))
            connection.sendall(b"show stat\n")
            raw = b"".join(iter(lambda: connection.recv(65536), b""))
        header, *rows = raw.decode().lstrip("# ").splitlines()
        names = header.split(",")
        return [dict(zip(names, row.split(","))) for row in rows if row]

    def process_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{port}" for port in self.settings.rasa_ports]

    def stop(self, timeout: float = 60) -> None:
        if self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)  # supervisord stops its programs first
            try:
                self.supervisor.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisor.pid, signal.SIGKILL)
                self.supervisor.wait()


def process_environment(settings: ClusterSettings) -> Dict[str, str]:
    env = {**SERVICE_DEFAULTS, **os.environ, **settings.environment}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CLUSTER_ACTION_PORT": str(settings.action_balancer_port),
            "SLACK_REDIS_URL": f"redis://{env['REDIS_HOST']}:{env['REDIS_PORT']}/{env['REDIS_DB']}",
            "SANIC_WORKERS": "1",
            "OMP_NUM_THREADS": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    if settings.auth_token:
        env["RASA_AUTH_TOKEN"] = settings.auth_token
    if settings.jwt_secret:
        env["RASA_JWT_SECRET"] = settings.jwt_secret
    return env


# Each Rasa process is one of several on few cores: TensorFlow's own thread pools would only
# fight each other. Set for the Rasa processes only: with these set, `rasa run actions`
# imports TensorFlow too (300 MB more per action server).
RASA_PROCESS_ENVIRONMENT = 'TF_INTRA_OP_PARALLELISM_THREADS="1",TF_INTER_OP_PARALLELISM_THREADS="1"'


def _program(name: str, command: str, log: Path, stop_seconds: int = 20, environment: str = "") -> str:
    return "\n".join(
        [
            f"[program:{name}]",
            f"command={command}",
            *([f"environment={environment}"] if environment else []),
            f"directory={ROOT}",
            "autorestart=true",
            "startsecs=0",
            "startretries=100",
            f"stopwaitsecs={stop_seconds}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={log}",
            "stdout_logfile_maxbytes=10MB",
            "",
        ]
    )


def write_configuration(settings: ClusterSettings) -> Path:
    """Writes haproxy.cfg, credentials.yml and supervisord.conf into run_dir."""
    run_dir = settings.run_dir
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    env = process_environment(settings)

    haproxy = string.Template(HAPROXY_TEMPLATE.read_text()).substitute(
        bind_address=settings.bind_address,
        port=settings.port,
        run_dir=run_dir,
        action_port=settings.action_balancer_port,
        rasa_servers="\n".join(
            f"    server rasa-{i} 127.0.0.1:{port} check" for i, port in enumerate(settings.rasa_ports, 1)
        ),
        action_servers="\n".join(
            f"    server actions-{i} 127.0.0.1:{port} check" for i, port in enumerate(settings.action_ports, 1)
        ),
    )
    (run_dir / "haproxy.cfg").write_text(haproxy)

    credentials_file = run_dir / "credentials.yml"
    credentials_file.write_text(yaml.safe_dump(credentials(env), sort_keys=False))
    os.chmod(credentials_file, 0o600)  # it may hold tokens

    # Secrets stay in the environment; supervisord expands %(ENV_...)s when it starts a program.
    api = ""
    if settings.auth_token or settings.jwt_secret:
        api = " --enable-api"
        if settings.auth_token:
            api += " --auth-token %(ENV_RASA_AUTH_TOKEN)s"
        if settings.jwt_secret:
            api += " --jwt-secret %(ENV_RASA_JWT_SECRET)s --jwt-method HS256"
    if settings.cors:
        api += f" --cors {settings.cors}"

    sections = [
        "; Written by deploy/cluster.py for `make serve-cluster`.",
        "[supervisord]",
        "nodaemon=true",
        "user=root",
        f"logfile={run_dir / 'supervisord.log'}",
        f"pidfile={run_dir / 'supervisord.pid'}",
        f"childlogdir={run_dir / 'logs'}",
        "",
        "[unix_http_server]",
        f"file={run_dir / 'supervisor.sock'}",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{run_dir / 'supervisor.sock'}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
    ]
    for i, port in enumerate(settings.action_ports, 1):
        sections.append(
            _program(
                f"actions-{i}",
                f"{RASA} run actions --actions actions --port {port}",
                run_dir / "logs" / f"actions-{i}.log",
            )
        )
    for i, port in enumerate(settings.rasa_ports, 1):
        sections.append(
            _program(
                f"rasa-{i}",
                f"{RASA} run --model {settings.model} --endpoints {ENDPOINTS} "
                f"--credentials {credentials_file} --port {port}{api}",
                run_dir / "logs" / f"rasa-{i}.log",
                environment=RASA_PROCESS_ENVIRONMENT,
            )
        )
    sections.append(
        _program("haproxy", f"/usr/sbin/haproxy -db -f {run_dir / 'haproxy.cfg'}", run_dir / "logs" / "haproxy.log")
    )
    conf = run_dir / "supervisord.conf"
    conf.write_text("\n".join(sections))
    os.chmod(conf, 0o600)
    return conf


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def start_cluster(settings: ClusterSettings, startup_seconds: float = STARTUP_SECONDS) -> Cluster:
    """Starts supervisord with every process; returns once the balancer and every Rasa
    process answer. Raises (after stopping everything) if they do not in time."""
    if not settings.model.exists():
        raise RuntimeError(f"{settings.model} is missing: run `make train` first")
    conf = write_configuration(settings)
    supervisor = subprocess.Popen(
        ["supervisord", "-n", "-c", str(conf)],
        env=process_environment(settings),
        stdout=(settings.run_dir / "supervisord.out").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    cluster = Cluster(settings, supervisor)
    deadline = time.monotonic() + startup_seconds
    waiting_for = [f"{url}/" for url in cluster.process_urls()]
    waiting_for += [f"http://127.0.0.1:{port}/health" for port in settings.action_ports]
    waiting_for.append(f"{cluster.url}/")
    try:
        while waiting_for:
            if supervisor.poll() is not None:
                raise RuntimeError(f"supervisord exited: {(settings.run_dir / 'supervisord.out').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the cluster did not start in {startup_seconds} s; waiting for {waiting_for}"
                    f" (logs in {settings.run_dir / 'logs'})"
                )
            waiting_for = [url for url in waiting_for if not _answers(url)]
            time.sleep(0.5)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def settings_from_environment(run_dir: Path) -> ClusterSettings:
    processes = int(os.environ.get("RASA_PROCESSES", "2"))
    action_servers = int(os.environ.get("ACTION_SERVERS", "1"))
    first_rasa = int(os.environ.get("CLUSTER_FIRST_RASA_PORT", "5101"))
    first_action = int(os.environ.get("CLUSTER_FIRST_ACTION_PORT", "5201"))
    return ClusterSettings(
        run_dir=run_dir,
        port=int(os.environ.get("RASA_PORT", "5005")),
        rasa_ports=[first_rasa + i for i in range(processes)],
        action_ports=[first_action + i for i in range(action_servers)],
        action_balancer_port=first_action - 1,
        auth_token=os.environ.get("RASA_AUTH_TOKEN") or None,
        jwt_secret=os.environ.get("RASA_JWT_SECRET") or None,
        cors=os.environ.get("WIDGET_CORS_ORIGINS") or None,
    )


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # start_cluster then stops what it started


def main() -> None:
    settings = settings_from_environment(Path(os.environ.get("CLUSTER_RUN_DIR") or ROOT / ".rasa" / "cluster"))
    signal.signal(signal.SIGTERM, _interrupt)
    print(
        f"Starting {len(settings.rasa_ports)} Rasa processes and {len(settings.action_ports)} "
        f"action server(s) behind HAProxy (about a minute)...",
        flush=True,
    )
    cluster = start_cluster(settings)

    def stop(signum: int, _frame: object) -> None:
        # supervisord stops its programs, then exits; the wait below then returns. (Waiting
        # here as well would deadlock on the wait this signal interrupted.)
        print("\nStopping the cluster...", flush=True)
        if cluster.supervisor.poll() is None:
            cluster.supervisor.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"The assistant is at {cluster.url} (REST: {cluster.url}/webhooks/rest/webhook, "
        f"widget: {cluster.url}/webhooks/widget/). Logs: {settings.run_dir / 'logs'}. Ctrl-C stops it.",
        flush=True,
    )
    cluster.supervisor.wait()


if __name__ == "__main__":
    main()
