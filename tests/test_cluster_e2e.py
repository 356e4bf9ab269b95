"""The cluster (`make serve-cluster`), end to end: two Rasa processes behind HAProxy under
supervisord, conversations in PostgreSQL, the lock in Redis (`make services`)."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest
import requests
import sqlalchemy as sa

from deploy.cluster import ClusterSettings, start_cluster
from tests.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.test_messaging_channels_e2e import (
    post_slack,
    post_telegram,
    slack_event,
    slack_messages_to,
    telegram_messages_to,
)
from tools.bot_client import BotClient
from tools.server_logs import tracebacks_in
from tools.servers import free_port

pytestmark = pytest.mark.e2e

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
# The same answers in every conversation, so every conversation must end in the same state.
SCRIPT = [
    "my calves keep jumping at night, I've been living on energy drinks",
    "no",
    "none of these",
    "none of these",
    "none of these",
    "about a week",
]
RESEND_ATTEMPTS = 40


@pytest.fixture(scope="module")
def database():
    name = "cluster_test_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, database, fake_chat_apis):
    settings = ClusterSettings(
        run_dir=tmp_path_factory.mktemp("cluster"),
        port=free_port(),
        bind_address="127.0.0.1",
        rasa_ports=[free_port(), free_port()],
        action_ports=[free_port()],
        action_balancer_port=free_port(),
        auth_token=uuid.uuid4().hex,
        environment={
            "CLUSTER_DB": database,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_API_BASE_URL": f"{fake_chat_apis.url}/api/",
            "TELEGRAM_ACCESS_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_BOT_USERNAME": fake_chat_apis.telegram_username,
            "TELEGRAM_WEBHOOK_URL": "https://example.invalid/webhooks/telegram/webhook",
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "TELEGRAM_API_SERVER": fake_chat_apis.url,
        },
    )
    cluster = start_cluster(settings)
    yield cluster
    cluster.stop()
    logs = list((settings.run_dir / "logs").glob("*.log"))
    assert not any("LockError" in log.read_text() for log in logs), "a message was dropped by the lock store"
    for log, records in tracebacks_in(logs).items():
        pytest.fail(f"{log.name} has an exception:\n{''.join(records)[-4000:]}")


def client(cluster) -> BotClient:
    return BotClient(cluster.url, cluster.token, timeout=120)


def send_until_answered(bot: BotClient, sender: str, text: str, message_id: str) -> List[dict]:
    """Sends like a careful client: on a failed or cut request (a process was killed),
    the same message again with the same id, which is stored once however often it comes."""
    for _ in range(RESEND_ATTEMPTS):
        try:
            response = bot.post(sender, text, message_id)
            if response.status_code == 200 and response.json():
                return response.json()
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{sender}: no answer to {text!r}")


def talk(bot: BotClient, sender: str, pause: float = 0.0) -> None:
    for turn, text in enumerate(SCRIPT):
        assert send_until_answered(bot, sender, text, f"{sender}-{turn}")
        time.sleep(pause)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).ok
    except requests.RequestException:
        return False


def user_texts(events: List[dict]) -> List[str]:
    return [event["text"] for event in events if event["event"] == "user"]


def turns_are_whole(events: List[dict]) -> bool:
    """Each message's turn ends (action_listen) before the next message starts."""
    listening = True
    for event in events:
        if event["event"] == "user":
            if not listening:
                return False
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True
    return listening


def stored_rows(database: str, sender: str) -> int:
    engine = sa.create_engine(f"{POSTGRES}/{database}")
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    engine.dispose()
    return count


@pytest.fixture(scope="module")
def reference_state(cluster):
    """Where SCRIPT leads one undisturbed conversation."""
    bot, sender = client(cluster), "reference-" + uuid.uuid4().hex[:8]
    talk(bot, sender)
    slots = bot.slots(sender)
    assert slots["triage_level"], "SCRIPT should reach an assessment"
    return {name: slots[name] for name in ("triage_level", "likely_causes", "requested_slot")}


def assert_conversation_intact(bot: BotClient, sender: str, reference_state: dict) -> None:
    tracker = bot.tracker(sender)
    assert user_texts(tracker["events"]) == SCRIPT, f"{sender}: a message was lost, doubled or reordered"
    assert turns_are_whole(tracker["events"]), f"{sender}: two turns overlapped"
    assert {name: tracker["slots"][name] for name in reference_state} == reference_state


def test_many_conversations_at_once_are_spread_over_the_processes_and_stored_whole(cluster, reference_state):
    bot = client(cluster)
    senders = [f"crowd-{i}-{uuid.uuid4().hex[:6]}" for i in range(24)]
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda sender: talk(bot, sender), senders))
    for sender in senders:
        assert_conversation_intact(bot, sender, reference_state)
    served = {
        row["svname"]: int(row["stot"])
        for row in cluster.balancer_statistics()
        if row["pxname"] == "rasa_processes" and row["svname"].startswith("rasa-")
    }
    assert all(count > 20 for count in served.values()), served


def test_messages_of_one_conversation_sent_at_once_are_handled_one_after_the_other(cluster):
    bot, sender = client(cluster), "burst-" + uuid.uuid4().hex[:8]
    texts = [
        "my eyelid twitches",
        "what tests will I need",
        "what is BFS",
        "can caffeine cause twitching",
        "should I take magnesium",
        "is it ALS?",
    ]
    with ThreadPoolExecutor(len(texts)) as pool:
        replies = list(pool.map(lambda item: bot.send(sender, item[1], f"burst-{item[0]}"), enumerate(texts)))
    assert all(replies), "every message got an answer"
    events = bot.tracker(sender)["events"]
    assert sorted(user_texts(events)) == sorted(texts)
    assert turns_are_whole(events)


def test_a_message_sent_again_with_its_id_is_stored_once_and_answered_the_same(cluster):
    bot, sender = client(cluster), "resend-" + uuid.uuid4().hex[:8]
    first = bot.send(sender, SCRIPT[0], "m1")
    again = [bot.send(sender, SCRIPT[0], "m1") for _ in range(2)]
    assert again == [first, first]
    assert user_texts(bot.tracker(sender)["events"]) == [SCRIPT[0]]


def test_delete_my_data_removes_the_rows_from_postgresql(cluster, database):
    bot, sender = client(cluster), "erase-" + uuid.uuid4().hex[:8]
    bot.send(sender, "my thumb twitches since the marathon")
    assert stored_rows(database, sender) > 0
    reply = bot.send(sender, "please delete my data")
    assert {"conversation_deleted": True} in [message.get("custom") for message in reply]
    assert stored_rows(database, sender) == 0


def test_one_slack_event_delivered_to_both_processes_is_answered_once(cluster, fake_chat_apis):
    user = f"U{uuid.uuid4().hex[:8].upper()}"
    body = slack_event(user, "hello", uuid.uuid4().hex)
    targets = [type("Process", (), {"url": url}) for url in cluster.process_urls()]
    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda target: post_slack(target, body).status_code, targets))
    assert statuses == [200, 200]
    deadline = time.monotonic() + 60
    while not slack_messages_to(fake_chat_apis, user) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # a second answer, if there were one, would have come by now
    assert user_texts(client(cluster).tracker(user)["events"]) == ["hello"]


def test_a_telegram_message_through_the_balancer_gets_its_answer(cluster, fake_chat_apis):
    chat_id = int(uuid.uuid4().int % 10**9)
    assert post_telegram(cluster, chat_id, "my arms twitch and I passed out this morning").status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        "emergency number now" in message["text"] for message in telegram_messages_to(fake_chat_apis, chat_id)
    ):
        time.sleep(0.2)
    assert any("emergency number now" in message["text"] for message in telegram_messages_to(fake_chat_apis, chat_id))
    assert client(cluster).tracker(str(chat_id))["slots"]["triage_level"] == "emergency"


def test_a_killed_process_is_routed_around_restarted_and_nobody_loses_their_place(cluster, reference_state):
    bot = client(cluster)
    victim_pid = cluster.pid("rasa-1")
    senders = [f"crash-{i}-{uuid.uuid4().hex[:6]}" for i in range(16)]
    killer = threading.Timer(3.0, lambda: os.kill(victim_pid, signal.SIGKILL))
    killer.start()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda sender: talk(bot, sender, pause=0.3), senders))
    killer.join()

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        pid = cluster.pid("rasa-1")
        if pid and pid != victim_pid and answers(cluster.process_urls()[0]):
            break
        time.sleep(1)
    else:
        pytest.fail("supervisord did not bring rasa-1 back")
    for sender in senders:
        assert_conversation_intact(bot, sender, reference_state)


def test_make_serve_cluster_starts_with_one_command_and_sigterm_stops_everything(tmp_path, database):
    """What `make serve-cluster` runs, on its own ports: ready, answering, then SIGTERM
    leaves no process behind."""
    run_dir = tmp_path / "run"
    port = free_port()
    env = {
        **os.environ,
        "CLUSTER_RUN_DIR": str(run_dir),
        "RASA_PORT": str(port),
        "CLUSTER_DB": database,
        "CLUSTER_FIRST_RASA_PORT": str(free_port()),
        "CLUSTER_FIRST_ACTION_PORT": str(free_port()),
        "RASA_PROCESSES": "2",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    launcher = subprocess.Popen(
        [sys.executable, "-m", "deploy.cluster"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for line in iter(launcher.stdout.readline, ""):  # until it says it is ready, or exits
            if "The assistant is at" in line:
                break
        assert launcher.poll() is None, "the cluster did not start"
        assert BotClient(f"http://127.0.0.1:{port}").send("sigterm-" + uuid.uuid4().hex, "my calf twitches")
        supervisor_pid = int((run_dir / "supervisord.pid").read_text())
        children = subprocess.run(["pgrep", "-P", str(supervisor_pid)], capture_output=True, text=True)
        started = {supervisor_pid, *(int(pid) for pid in children.stdout.split())}
        assert len(started) >= 5  # supervisord, HAProxy, two Rasa processes, the action server

        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=90) == 0
        assert not [pid for pid in started if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    finally:
        if launcher.poll() is None:
            launcher.kill()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
