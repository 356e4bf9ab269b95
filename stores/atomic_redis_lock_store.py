"""A Redis lock store that is safe when several Rasa processes share it.

Rasa 3.6's RedisLockStore reads a conversation's ticket list, changes it in Python and
writes it back. Two processes doing that at once overwrite each other's tickets, so two
messages of one conversation can run together, or a waiting message loses its ticket and
fails with a LockError (the REST channel then answers 200 with no reply). Here every
change of a ticket list is one Redis transaction (WATCH, then MULTI/EXEC, retried if the
list changed in between), and the key expires on its own.

Tickets are short-lived and kept alive by their holder: a process that is killed stops
renewing its tickets, so that person's next message waits seconds, not Rasa's minute.

    lock_store:
      type: stores.atomic_redis_lock_store.AtomicRedisLockStore
      url: localhost
      port: 6379
      db: 1
"""

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, AsyncGenerator, Callable, List, Optional, Text, TypeVar

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

TICKET_SECONDS = 10.0  # how long a ticket outlives the last sign of life of its holder
POLL_SECONDS = 0.02  # how often a waiting message looks whether its turn has come
KEY_MARGIN_SECONDS = 5  # the key outlives its last ticket by this much

Result = TypeVar("Result")


class AtomicRedisLockStore(RedisLockStore):
    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        ticket_seconds: float = TICKET_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        **redis_settings: Any,
    ) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its class
            settings = dict(endpoint_config.kwargs)
            ticket_seconds = float(settings.pop("ticket_seconds", ticket_seconds))
            poll_seconds = float(settings.pop("poll_seconds", poll_seconds))
            redis_settings = {"host": endpoint_config.url or "localhost", **settings, **redis_settings}
        super().__init__(**redis_settings)
        self.ticket_seconds = ticket_seconds
        self.poll_seconds = poll_seconds

    # ---- every change of a ticket list is one transaction ------------------------------

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], Result]) -> Result:
        """Applies `change` to the stored lock and stores the result, or retries when
        another process changed the lock in between. An emptied lock is deleted."""
        key = self.key_prefix + conversation_id
        outcome: List[Result] = []

        def transaction(pipe: "redis.client.Pipeline") -> None:
            outcome.clear()
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else self.create_lock(conversation_id)
            lock.conversation_id = conversation_id
            outcome.append(change(lock))
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                expires = max(ticket.expires for ticket in lock.tickets)
                milliseconds = int((expires - time.time() + KEY_MARGIN_SECONDS) * 1000)
                pipe.set(key, lock.dumps(), px=max(milliseconds, 1))
            else:
                pipe.delete(key)

        try:
            self.red.transaction(transaction, key)
        except redis.RedisError as error:
            raise LockError(f"The lock store could not be changed: {error}") from error
        return outcome[0]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._change(conversation_id, lambda lock: lock.issue_ticket(self.ticket_seconds))

    def renew_ticket(self, conversation_id: Text, ticket_number: int) -> None:
        """Pushes a live ticket's expiry forward (its holder is still working or waiting)."""

        def renew(lock: TicketLock) -> None:
            for index, ticket in enumerate(lock.tickets):
                if ticket.number == ticket_number:
                    lock.tickets[index] = Ticket(ticket_number, time.time() + self.ticket_seconds)

        self._change(conversation_id, renew)

    def update_lock(self, conversation_id: Text) -> None:
        # Rasa calls this after every wait (every POLL_SECONDS per waiting message) to drop
        # expired tickets. Reading a lock already skips them, and every change drops them, so
        # writing here would only cost a transaction per poll.
        pass

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)  # deletes the lock once empty

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("tickets change only through _change, atomically")

    # ---- the lock ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id)
        keep_alive = asyncio.ensure_future(self._keep_alive(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, self.poll_seconds))
        finally:
            keep_alive.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_alive(self, conversation_id: Text, ticket_number: int) -> None:
        while True:
            await asyncio.sleep(self.ticket_seconds / 3)
            try:
                self.renew_ticket(conversation_id, ticket_number)
            except LockError:
                logger.warning("Could not renew a lock ticket; it expires in %.0f s.", self.ticket_seconds)
