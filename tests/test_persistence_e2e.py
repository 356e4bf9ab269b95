"""Conversations live in SQLite: a restarted server continues where the person was."""

import sqlite3
import uuid

import pytest

from tools.bot_client import BotClient, bot_texts
from tools.servers import start_servers, stop_servers

TIMEOUT = 60  # seconds per request on a busy machine


@pytest.mark.e2e
def test_a_restarted_server_continues_at_the_same_question(tmp_path):
    db_path = tmp_path / "conversations.db"
    sender = f"persist-{uuid.uuid4().hex}"

    (tmp_path / "first").mkdir()
    first = start_servers(tmp_path / "first", db_path)
    try:
        bot = BotClient(first.url, first.token, TIMEOUT)
        bot.send(sender, "my calf has been twitching for a week, no weakness")
        bot.send(sender, "no")  # no emergency signs
        before = bot.slots(sender)
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
        bot = BotClient(second.url, second.token, TIMEOUT)
        after = bot.slots(sender)
        assert after["requested_slot"] == before["requested_slot"]
        assert after["asked_findings"] == ["speech_swallowing", "muscle_wasting"]
        assert after["weakness"] == "no" and after["emergency_signs"] == "no"
        replies = bot_texts(bot.send(sender, "no"))
        assert any("heartbeat" in text for text in replies)  # the next question, not a restart
    finally:
        stop_servers(second)
