"""The tracker store forgets: on request, and after the retention period."""

import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stores.erasable_sql_tracker_store import ERASE_ACTION, ErasableSQLTrackerStore

SECRET = "my left calf twitches since the zanzibar trip"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "conversations.db"


def make_store(db_path: Path, retention_days=30) -> ErasableSQLTrackerStore:
    return ErasableSQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(db_path), retention_days=retention_days
    )


def conversation(sender: str, *events, timestamp: float = None) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=[])
    for event in events:
        if timestamp is not None:
            event.timestamp = timestamp
        tracker.update(event)
    return tracker


def file_bytes(db_path: Path) -> bytes:
    """The database as it lies on disk: the main file and its write-ahead log."""
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def stored_senders(store: ErasableSQLTrackerStore) -> set:
    with store.session_scope() as session:
        return {row.sender_id for row in session.query(store.SQLEvent.sender_id).distinct()}


async def test_asking_to_delete_erases_every_event_of_that_person_only(db_path):
    store = make_store(db_path)
    kept = conversation("other", UserUttered("eyelid twitch"), ActionExecuted("action_listen"))
    tracker = conversation("me", UserUttered(SECRET), BotUttered("Any chest pain?"))
    await store.save(kept)
    await store.save(tracker)
    assert stored_senders(store) == {"other", "me"}
    assert b"zanzibar" in file_bytes(db_path)

    tracker.update(UserUttered("delete my data"))
    tracker.update(ActionExecuted(ERASE_ACTION))
    tracker.update(BotUttered("Done: deleted."))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)

    assert stored_senders(store) == {"other"}
    assert await store.retrieve("me") is None
    assert b"zanzibar" not in file_bytes(db_path)  # secure_delete: not even in free pages


async def test_an_earlier_erase_does_not_erase_later_turns(db_path):
    store = make_store(db_path)
    tracker = conversation(
        "me",
        UserUttered("delete my data"),
        ActionExecuted(ERASE_ACTION),
        UserUttered("my calf twitches"),
        ActionExecuted("action_listen"),
    )
    await store.save(tracker)
    assert stored_senders(store) == {"me"}


async def test_conversations_idle_past_the_retention_period_are_deleted(db_path):
    store = make_store(db_path, retention_days=30)
    now = time.time()
    await store.save(conversation("stale", UserUttered(SECRET), timestamp=now - 31 * 86400))
    await store.save(conversation("recent", UserUttered("twitch"), timestamp=now - 29 * 86400))

    assert store.purge_expired() > 0
    assert stored_senders(store) == {"recent"}
    assert b"zanzibar" not in file_bytes(db_path)


async def test_a_restart_applies_the_retention_period(db_path):
    store = make_store(db_path, retention_days=None)
    await store.save(conversation("stale", UserUttered(SECRET), timestamp=time.time() - 400 * 86400))
    assert make_store(db_path, retention_days=None).purge_expired() == 0

    assert stored_senders(make_store(db_path, retention_days=365)) == set()


def stored_texts(store: ErasableSQLTrackerStore, sender: str) -> list:
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id)
        return [row.type_name + ":" + (row.action_name or row.intent_name or "") for row in rows]


async def test_each_turn_is_stored_once_whether_saved_from_the_loaded_tracker_or_a_copy(db_path):
    store = make_store(db_path)
    await store.save(conversation("me", UserUttered("my calf twitches"), ActionExecuted("triage_form")))
    loaded = await store.retrieve("me")
    loaded.update(ActionExecuted("action_listen"))
    await store.save(loaded)
    await store.save(loaded)  # saved again with nothing new
    copied = loaded.copy()
    copied.update(UserUttered("no"))
    copied.update(ActionExecuted("action_listen"))
    await store.save(copied)
    assert stored_texts(store, "me") == [
        "user:",
        "action:triage_form",
        "action:action_listen",
        "user:",
        "action:action_listen",
    ]
    assert len((await store.retrieve("me")).events) == 5
