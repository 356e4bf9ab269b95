"""Conversations live in SQLite: a restarted server continues where the person was."""

import sqlite3
import uuid

import pytest
import requests

from tools.servers import start_servers, stop_servers


def say(server, sender, text):
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    response.raise_for_status()
    return [message.get("text") for message in response.json()]


def slots(server, sender):
    response = requests.get(
        f"{server.url}/conversations/{sender}/tracker", params={"token": server.token}, timeout=30
    )
    return response.json()["slots"]


@pytest.mark.e2e
def test_a_restarted_server_continues_at_the_same_question(tmp_path):
    db_path = tmp_path / "conversations.db"
    sender = f"persist-{uuid.uuid4().hex}"

    (tmp_path / "first").mkdir()
    first = start_servers(tmp_path / "first", db_path)
    try:
        say(first, sender, "my calf has been twitching for a week, no weakness")
        say(first, sender, "no")  # no emergency signs
        before = slots(first, sender)
    finally:
        stop_servers(first)
    # the nerve-signs question, weakness already denied (contract section 4)
    assert before["asked_findings"] == ["speech_swallowing", "muscle_wasting"]

    with sqlite3.connect(db_path) as connection:
        stored = connection.execute("select count(*) from events where sender_id = ?", (sender,)).fetchone()[0]
    assert stored > 0

    (tmp_path / "second").mkdir()
    second = start_servers(tmp_path / "second", db_path)
    try:
        after = slots(second, sender)
        assert after["requested_slot"] == before["requested_slot"]
        assert after["asked_findings"] == ["speech_swallowing", "muscle_wasting"]
        assert after["weakness"] == "no" and after["emergency_signs"] == "no"
        replies = say(second, sender, "no")
        assert any("heartbeat" in (text or "") for text in replies)  # the next question, not a restart
    finally:
        stop_servers(second)
