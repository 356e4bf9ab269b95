"""The cluster's tracker store on PostgreSQL forgets as the single server's does, checked
in the database and in its files (real PostgreSQL from `make services`)."""

import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from stores.erasable_sql_tracker_store import CLEAN_UP_LOCK_ID, ErasableSQLTrackerStore
from tests.test_erasable_tracker_store import SECRET, conversation
from triage.vocabulary import ERASE_ACTION

SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def database():
    name = "erasure_test_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 (run `make services`): {error}")
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def make_store(database: str, retention_days=30) -> ErasableSQLTrackerStore:
    return ErasableSQLTrackerStore(
        domain=Domain.empty(),
        dialect="postgresql",
        host="127.0.0.1",
        port=5432,
        username="postgres",
        db=database,
        retention_days=retention_days,
        pool_size=2,
        max_overflow=1,
    )


def stored_senders(store: ErasableSQLTrackerStore) -> set:
    with store.engine.connect() as connection:
        return {row[0] for row in connection.exec_driver_sql("SELECT DISTINCT sender_id FROM events")}


def table_file_bytes(store: ErasableSQLTrackerStore) -> bytes:
    """The events table as PostgreSQL keeps it on disk, after a checkpoint."""
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("CHECKPOINT")
        data_directory = connection.exec_driver_sql("SHOW data_directory").scalar()
        relation = connection.exec_driver_sql("SELECT pg_relation_filepath('events')").scalar()
    path = Path(data_directory) / relation
    return b"".join(segment.read_bytes() for segment in sorted(path.parent.glob(path.name + "*")))


async def test_delete_my_data_removes_the_rows_and_the_clean_up_removes_the_text_from_the_files(database):
    store = make_store(database)
    tracker = conversation("me", UserUttered(SECRET), BotUttered("Any chest pain?"))
    await store.save(conversation("other", UserUttered("eyelid twitch"), ActionExecuted("action_listen")))
    await store.save(tracker)
    assert b"zanzibar" in table_file_bytes(store)

    tracker.update(UserUttered("delete my data"))
    tracker.update(ActionExecuted(ERASE_ACTION))
    await store.save(tracker)
    assert stored_senders(store) == {"other"}  # no longer in the database at once

    store.purge_expired()  # the hourly clean-up, run by whichever process gets there first
    assert b"zanzibar" not in table_file_bytes(store)
    assert b"eyelid twitch" in table_file_bytes(store)
    assert stored_senders(store) == {"other"}


async def test_conversations_idle_past_the_retention_period_are_deleted(database):
    store = make_store(database, retention_days=30)
    old = time.time() - 31 * 24 * 60 * 60
    await store.save(conversation("idle", UserUttered(SECRET), timestamp=old))
    await store.save(conversation("recent", UserUttered("calf twitch")))
    assert store.purge_expired() > 0
    assert stored_senders(store) == {"recent"}
    assert b"zanzibar" not in table_file_bytes(store)


async def test_only_one_process_cleans_up_at_a_time(database):
    store = make_store(database, retention_days=30)
    other_process = make_store(database, retention_days=30)
    await store.save(conversation("idle", UserUttered(SECRET), timestamp=time.time() - 40 * 24 * 60 * 60))
    with other_process.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": CLEAN_UP_LOCK_ID})
        assert store.purge_expired() == 0  # the other process is at it
        assert stored_senders(store) == {"idle"}
        connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": CLEAN_UP_LOCK_ID})
    assert store.purge_expired() > 0


def test_each_process_keeps_a_bounded_pool(database):
    store = make_store(database)
    assert store.engine.pool.size() == 2
    assert store.engine.pool._max_overflow == 1
