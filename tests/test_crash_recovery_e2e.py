"""Crash recovery: a server killed with SIGKILL mid-assessment loses nothing.

The Rasa server keeps conversations in SQLite and saves a turn's events in one commit at
the end of the turn (rasa.core.processor.handle_message, SQLTrackerStore.save); the
action server keeps no state. So after a `kill -9` of either process and a fresh start on
the same db and ports, the person continues at the same question with every acknowledged
message stored exactly once. A message in flight when the Rasa server dies was never
acknowledged and is stored not at all (never half), so resending it is safe.

A message while the action server is down (test_a_message_while_the_action_server_is_down_
can_be_sent_again): Rasa 3.6.21 on its own would answer 200 with an empty list, even to a
red flag, and log a traceback. rasa_patches/outage_answer.py makes the bot say that it
cannot go on right now, to send the message again in a minute, and when to call for help
at once. The message is stored but not acted on, and the open question stays open, so
sending the answer again once the action server is back continues the assessment.

One pair of servers serves the whole module (a Rasa start is slow on a small machine);
each test starts with both processes up and checks the log lines written during it.
"""

import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
import requests

from tools.bot_client import BotClient
from tools.server_logs import LogWindow, records_with_traceback
from tools.servers import RasaServer, kill_process, start_process, start_servers, stop_servers
from tools.vignettes import load_vignettes, next_move, reply_to

VIGNETTES = {v["id"]: v for v in load_vignettes()}
TIMEOUT = 120  # seconds per HTTP request (a busy 2-core machine)


# ---- a person talking to the bot over REST ----------------------------------------------


class Person:
    def __init__(self, server: RasaServer, vignette_id: str):
        self.bot = BotClient(server.url, server.token, TIMEOUT)
        self.vignette = VIGNETTES[vignette_id]
        self.sender = f"crash-{vignette_id}-{uuid.uuid4().hex[:10]}"
        self.sent: List[str] = []  # every text posted, in order
        self.answers = 0

    def post(self, text: str) -> requests.Response:
        self.sent.append(text)
        return self.bot.post(self.sender, text)

    def say(self, text: str) -> List[dict]:
        response = self.post(text)
        assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
        return response.json()

    def tracker(self) -> dict:
        return self.bot.tracker(self.sender)

    def answer(self) -> List[dict]:
        """Answers the open question as the vignette says."""
        slots = self.tracker()["slots"]
        assert slots.get("requested_slot"), f"no open question: {slots}"
        self.answers += 1
        return self.say(reply_to(self.vignette, slots))

    def start_assessment(self, answers: int) -> dict:
        """The opening and `answers` answers; returns the tracker, a question still open."""
        self.say(self.vignette["opening"])
        for _ in range(answers):
            self.answer()
        tracker = self.tracker()
        slots = tracker["slots"]
        assert slots.get("requested_slot") and not slots.get("triage_level"), slots
        return tracker

    def finish(self) -> dict:
        """Answers until the assessment concludes; returns the slots."""
        while True:
            slots = self.tracker()["slots"]
            move = next_move(self.vignette, slots, self.answers)
            if move.error:
                pytest.fail(f"{move.error}: {slots}")
            if move.reply is None:
                return slots
            self.answers += 1
            self.say(move.reply)


def user_texts(tracker: dict) -> List[str]:
    return [event.get("text") for event in tracker["events"] if event.get("event") == "user"]


# ---- servers and their logs ---------------------------------------------------------------


def assert_no_traceback(window: LogWindow) -> None:
    records = records_with_traceback(window.text())
    assert not records, "a server logged an exception:\n" + "\n".join(records)[-4000:]


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("crash-recovery")
    server = start_servers(workdir, workdir / "conversations.db")
    yield server
    stop_servers(server)


@pytest.fixture
def servers(module_servers) -> RasaServer:
    """Both processes running (a test before may have left one killed)."""
    for which, process in (("rasa", module_servers.rasa), ("actions", module_servers.actions)):
        if process.poll() is not None:
            start_process(module_servers, which)
    return module_servers


def unread_bytes_at(port: int) -> int:
    """Bytes that arrived on established TCP connections to the server on `port` and that it
    has not read yet (from /proc): a request sent to a frozen server (new or kept-alive
    connection alike)."""
    unread = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, queues = fields[1], fields[3], fields[4]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                unread += int(queues.split(":")[1], 16)
    return unread


# ---- the Rasa server ------------------------------------------------------------------------


def finishes_as_expected(person) -> None:
    """Answers the remaining questions: the vignette's level and top cause, every message once."""
    slots = person.finish()
    assert slots["triage_level"] == person.vignette["expected"]["level"]
    assert slots["likely_causes"][0] == person.vignette["expected"]["top_cause"]
    assert user_texts(person.tracker()) == person.sent


@pytest.mark.e2e
def test_rasa_server_killed_mid_assessment_continues_at_the_same_question(servers):
    window = LogWindow(servers.logs)
    person = Person(servers, "thyroid_weight_loss_insomnia")
    before = person.start_assessment(answers=2)

    assert kill_process(servers, "rasa") == -signal.SIGKILL  # kill -9, no clean shutdown
    start_process(servers, "rasa")  # same port, same SQLite db

    after = person.tracker()
    assert after["slots"]["requested_slot"] == before["slots"]["requested_slot"]
    assert after["slots"] == before["slots"]
    assert after["events"] == before["events"]  # nothing lost, nothing added
    assert user_texts(after) == person.sent  # every message once, in order

    finishes_as_expected(person)
    assert_no_traceback(window)


@pytest.mark.e2e
def test_a_message_in_flight_when_the_rasa_server_dies_is_stored_not_at_all(servers):
    """Deterministic mid-turn kill: the action server is frozen (SIGSTOP), so the Rasa server
    is inside the turn, waiting for it, when it gets SIGKILL."""
    window = LogWindow(servers.logs)
    person = Person(servers, "thyroid_unsure_weakness")
    before = person.start_assessment(answers=2)
    text = reply_to(person.vignette, before["slots"])
    action_port = int(servers.action_url.rsplit(":", 1)[1])
    outcome: Dict[str, object] = {}

    def send() -> None:
        try:
            outcome["response"] = requests.post(
                f"{servers.url}/webhooks/rest/webhook", json={"sender": person.sender, "message": text}, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            outcome["error"] = error

    actions_pid = servers.actions.pid
    os.kill(actions_pid, signal.SIGSTOP)
    try:
        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + TIMEOUT
        while not unread_bytes_at(action_port) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the Rasa server has called the frozen action server
        assert unread_bytes_at(action_port), "the Rasa server never called the action server"
        kill_process(servers, "rasa")
    finally:
        os.kill(actions_pid, signal.SIGCONT)
    sender.join(timeout=TIMEOUT)
    assert "error" in outcome, f"the message was answered: {outcome.get('response')}"  # never acknowledged

    start_process(servers, "rasa")
    after = person.tracker()
    assert after["events"] == before["events"]  # the unacknowledged turn: nothing, not half
    assert after["slots"] == before["slots"]

    person.say(text)  # the client resends what got no answer
    slots = person.finish()
    assert slots["triage_level"] == person.vignette["expected"]["level"]
    # person.sent holds the acknowledged messages (the resend, not the lost attempt): once each
    assert user_texts(person.tracker()) == person.sent
    assert_no_traceback(window)


# ---- the action server ------------------------------------------------------------------------


@pytest.mark.e2e
def test_action_server_killed_between_turns_continues_at_the_same_question(servers):
    window = LogWindow(servers.logs)
    person = Person(servers, "calf_three_months_only")
    before = person.start_assessment(answers=3)

    assert kill_process(servers, "actions") == -signal.SIGKILL
    start_process(servers, "actions")

    after = person.tracker()
    assert after["events"] == before["events"]
    assert after["slots"]["requested_slot"] == before["slots"]["requested_slot"]
    finishes_as_expected(person)
    assert_no_traceback(window)


@pytest.mark.e2e
def test_a_message_while_the_action_server_is_down_can_be_sent_again(servers):
    window = LogWindow(servers.logs)
    person = Person(servers, "wasting_in_answer")  # the answer sent while down is the red flag
    before = person.start_assessment(answers=3)
    text = reply_to(person.vignette, before["slots"])

    kill_process(servers, "actions")
    try:
        response = person.post(text)
        assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
        during = person.tracker()
    finally:
        start_process(servers, "actions")

    # The person hears why nothing happens, and when not to wait; nothing else changes.
    assert response.status_code == 200
    said = " ".join(message.get("text") or "" for message in response.json())
    assert "again in a minute" in said and said.count("emergency number") == 1
    assert during["slots"] == before["slots"]  # not acted on: the question is still open
    assert user_texts(during) == person.sent

    person.say(text)  # the person answers again once the action server is back
    slots = person.finish()
    assert slots["triage_level"] == person.vignette["expected"]["level"]
    assert slots["likely_causes"][0] == person.vignette["expected"]["top_cause"]
    assert user_texts(person.tracker()) == person.sent  # the unheard message and the resend, once each

    assert_no_traceback(window)


@pytest.mark.e2e
def test_a_person_hears_something_while_the_action_server_is_down(servers):
    person = Person(servers, "thyroid_chest_pain_racing")  # an emergency in the opening
    kill_process(servers, "actions")
    try:
        response = person.post(person.vignette["opening"])
    finally:
        start_process(servers, "actions")
    assert response.status_code == 200
    said = " ".join(message.get("text") or "" for message in response.json())
    assert said.count("emergency number") == 1, (
        "a red flag while the action server is down still gets the emergency advice, once"
    )
