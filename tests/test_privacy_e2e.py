"""Privacy, end to end: "delete my data" erases the conversation from the SQLite file, and
what people write never reaches the server logs."""

import sqlite3
import uuid

import pytest

from tools.bot_client import BotClient

pytestmark = pytest.mark.e2e

# Words that appear in these conversations only, so finding them anywhere is a leak.
MARKER = "zanzibarquay"


TIMEOUT = 120  # seconds per request on a busy machine


def say(server, sender, text):
    return BotClient(server.url, server.token, TIMEOUT).send(sender, text)


def tracker(server, sender):
    return BotClient(server.url, server.token, TIMEOUT).tracker(sender)


def stored_events(server, sender) -> int:
    with sqlite3.connect(server.db_path) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def file_bytes(db_path) -> bytes:
    """The database as it lies on disk: the main file and its write-ahead log."""
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def server_logs(server) -> str:
    return "".join(path.read_text(errors="replace") for paths in server.logs.values() for path in paths)


def test_delete_my_data_in_the_middle_of_the_questions_erases_everything(rasa_server):
    sender, bystander = f"erase-{uuid.uuid4().hex}", f"keep-{uuid.uuid4().hex}"
    say(rasa_server, bystander, "my eyelid twitches, I drink a lot of coffee")
    say(rasa_server, sender, f"my calf twitches since the {MARKER} holiday, I'm stressed")
    say(rasa_server, sender, "no")
    assert tracker(rasa_server, sender)["slots"]["requested_slot"]  # mid-assessment
    assert stored_events(rasa_server, sender) > 0

    reply = say(rasa_server, sender, "please delete my data")

    texts = " ".join(message.get("text") or "" for message in reply)
    assert "deleted" in texts.lower()
    assert {"conversation_deleted": True} in [message.get("custom") for message in reply]
    assert stored_events(rasa_server, sender) == 0
    assert MARKER.encode() not in file_bytes(rasa_server.db_path)
    assert stored_events(rasa_server, bystander) > 0  # only this person's conversation

    # Nothing of it comes back: the same id starts from scratch.
    state = tracker(rasa_server, sender)
    assert state["slots"]["requested_slot"] is None and state["slots"]["triage_level"] is None
    assert not [event for event in state["events"] if event["event"] == "user"]
    say(rasa_server, sender, "hello")
    assert stored_events(rasa_server, sender) > 0
    assert MARKER.encode() not in file_bytes(rasa_server.db_path)


def test_deleting_after_the_assessment_erases_the_outcome_too(rasa_server):
    sender = f"erase-{uuid.uuid4().hex}"
    say(rasa_server, sender, f"I choked on my food twice near {MARKER}")
    assert tracker(rasa_server, sender)["slots"]["triage_level"] == "urgent"
    say(rasa_server, sender, "forget everything I told you")
    assert stored_events(rasa_server, sender) == 0


def test_what_people_write_is_not_in_the_server_logs(rasa_server):
    sender = f"logs-{uuid.uuid4().hex}"
    say(rasa_server, sender, f"my thumb twitches, {MARKER} said it's stress")
    say(rasa_server, sender, f"no, but {MARKER} noticed I lost weight and I sweat a lot")
    say(rasa_server, sender, "")  # a message the bot cannot use is not logged either
    logs = server_logs(rasa_server)
    assert logs, "the servers write logs at INFO"
    assert MARKER not in logs
    assert "lost weight" not in logs and "sweat a lot" not in logs
