"""The SQL tracker store, made to forget: a conversation is erased when the person asks
(`action_delete_my_data`) and once it has been idle longer than the retention period.

Rasa saves a tracker after the actions of a turn have run, so an action cannot remove it
itself: the erasure happens here, in place of that save. SQLite's `secure_delete` makes
the erased rows unreadable in the file too, not just unlisted.

SQLite runs in write-ahead-log mode with `synchronous=NORMAL` over pooled connections:
a save no longer waits for several fsyncs, and a killed server process still loses no
committed turn (only a power cut could drop the latest turns).

On PostgreSQL (the cluster) each process keeps a bounded pool of connections. Several
processes share the database, so the hourly clean-up takes a PostgreSQL advisory lock:
one process at a time does it. PostgreSQL has no secure delete: a deleted row stays in
the table's file until the file is rewritten. Each erasure leaves a mark in
`erasures_pending`, and the clean-up rewrites the events table (VACUUM FULL) when it
finds one, so the text leaves the database files within the clean-up interval.
"""

import asyncio
import itertools
import json
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.core.trackers import DialogueStateTracker

from triage.vocabulary import ERASE_ACTION

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

SECONDS_PER_DAY = 24 * 60 * 60
PURGE_INTERVAL_SECONDS = 60 * 60
CLEAN_UP_LOCK_ID = 0x7477_6974  # any number the processes agree on ("twit")
STORED_MARK = "_events_in_store"


class ErasableSQLTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine  # SQLTrackerStore.__init__ creates it; replaced for SQLite below

    def __init__(
        self,
        *args: Any,
        retention_days: Optional[float] = 30,
        pool_size: int = 4,
        max_overflow: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._reuse_sqlite_connections()
        elif self.engine.dialect.name == "postgresql":
            self._bound_postgresql_pool(int(pool_size), int(max_overflow))
            with self.engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS erasures_pending (erased_at double precision)")
        self.retention_seconds = float(retention_days) * SECONDS_PER_DAY if retention_days else None
        self._last_purge = 0.0
        self.purge_expired()

    def _reuse_sqlite_connections(self) -> None:
        # SQLAlchemy's default for SQLite files opens and closes a connection per query,
        # and every close checkpoints the log with fsyncs: about half of each save.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=2,
            max_overflow=8,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", _configure_sqlite)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _bound_postgresql_pool(self, pool_size: int, max_overflow: int) -> None:
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=3600,
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erasure_requested(tracker):
            await self._off_the_event_loop(self.erase, tracker.sender_id)
            return
        await self.stream_events(tracker)
        await self._off_the_event_loop(self._insert_new_events, tracker)
        if time.time() - self._last_purge > PURGE_INTERVAL_SECONDS:
            self._last_purge = time.time()  # before the thread starts: one clean-up at a time
            await self._off_the_event_loop(self.purge_expired)

    def _insert_new_events(self, tracker: DialogueStateTracker) -> None:
        # One multi-row INSERT instead of an ORM object per event (as Rasa's save does).
        with self.session_scope() as session:
            stored = _stored_count(tracker)
            if stored is None:  # Rasa's way: count the stored events of the latest session
                new_events = self._additional_events(session, tracker)
            else:
                new_events = itertools.islice(tracker.events, stored, None)
            rows = [_row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        _mark_stored(tracker)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        events = await self._off_the_event_loop(self._load_events, sender_id, fetch_events_from_all_sessions)
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:  # what a save counts from
            _mark_stored(tracker)
        return tracker

    def _load_events(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> List[Dict[Text, Any]]:
        # Only the data column: Rasa's query builds an ORM object per event first.
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            return [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]

    async def _off_the_event_loop(self, function: Callable[..., Result], *args: Any) -> Result:
        """Runs a database call in a thread when the database is across the network, so the
        process serves other people while it waits (SQLAlchemy's calls block)."""
        if self.engine.dialect.name == "sqlite":
            return function(*args)
        return await asyncio.to_thread(function, *args)

    def erase(self, sender_id: Text) -> int:
        """Deletes every event of one conversation, in all its sessions."""
        with self.session_scope() as session:
            erased = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            self._leave_erasure_mark(session)
            session.commit()
        self._drop_old_page_copies()
        logger.info("Erased a conversation on request (%d events).", erased)
        return erased

    def purge_expired(self, now: Optional[float] = None) -> int:
        """Deletes conversations whose latest event is older than the retention period,
        then (PostgreSQL) rewrites the table if anything was erased. Returns the number of
        events deleted; 0 when another process is doing this at the same moment."""
        self._last_purge = time.time()
        if self.engine.dialect.name != "postgresql":
            return self._delete_expired(now)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if not connection.execute(sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": CLEAN_UP_LOCK_ID}).scalar():
                return 0
            try:
                purged = self._delete_expired(now)
                self._rewrite_after_erasures(connection)
                return purged
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": CLEAN_UP_LOCK_ID})

    def _delete_expired(self, now: Optional[float]) -> int:
        if not self.retention_seconds:
            return 0
        cutoff = (now or time.time()) - self.retention_seconds
        expired = (
            sa.select(self.SQLEvent.sender_id)
            .group_by(self.SQLEvent.sender_id)
            .having(sa.func.max(self.SQLEvent.timestamp) < cutoff)
        )
        with self.session_scope() as session:
            purged = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id.in_(expired.scalar_subquery()))
                .delete(synchronize_session=False)
            )
            session.commit()
        if purged:
            self._drop_old_page_copies()
            logger.info("Deleted %d events of conversations past the retention period.", purged)
            with self.session_scope() as session:
                self._leave_erasure_mark(session)
                session.commit()
        return purged

    def _leave_erasure_mark(self, session: Any) -> None:
        """PostgreSQL: tells the clean-up to rewrite the table (see _rewrite_after_erasures)."""
        if self.engine.dialect.name == "postgresql":
            session.execute(sa.text("INSERT INTO erasures_pending VALUES (:now)"), {"now": time.time()})

    def _rewrite_after_erasures(self, connection: Any) -> None:
        """VACUUM FULL writes the events table into a new file and removes the old one,
        so deleted conversations are gone from the table's files, not just unlisted.
        It locks the table for the rewrite (milliseconds per thousand events)."""
        pending = connection.execute(sa.text("SELECT max(erased_at) FROM erasures_pending")).scalar()
        if pending is None:
            return
        connection.exec_driver_sql(f"VACUUM FULL {self.SQLEvent.__tablename__}")
        connection.execute(sa.text("DELETE FROM erasures_pending WHERE erased_at <= :at"), {"at": pending})
        logger.info("Rewrote the events table after erasures.")

    def _drop_old_page_copies(self) -> None:
        """Empties SQLite's write-ahead log, which still holds the erased rows' old pages."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _mark_stored(tracker: DialogueStateTracker) -> None:
    """Remembers, on this tracker object, that its events are all stored. The lock store
    lets only the process handling a message write that conversation, so the next save
    of this object needs no query to find which events are new. A copy of the tracker
    (another object) does not pass the check and is counted the usual way."""
    setattr(tracker, STORED_MARK, (id(tracker), len(tracker.events)))


def _stored_count(tracker: DialogueStateTracker) -> Optional[int]:
    mark = getattr(tracker, STORED_MARK, None)
    return mark[1] if mark is not None and mark[0] == id(tracker) else None


def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """Whether the erase action ran in the turn being saved (since the last user message)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == ERASE_ACTION:
            return True
    return False


def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
