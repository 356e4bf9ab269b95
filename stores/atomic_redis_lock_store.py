"""A Redis lock store that is safe when several Rasa processes share it.

Rasa 3.6's RedisLockStore reads a conversation's ticket list, changes it in Python and
writes it back. Two processes doing that at once overwrite each other's tickets, so two
messages of one conversation can run together, or a waiting message loses its ticket and
fails with a LockError (the REST channel then answers 200 with no reply). Here every
change of a ticket list is one Lua script, which Redis runs atomically, and the key
expires on its own. A message whose ticket is first in line starts at once, without
asking Redis again.

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
from typing import Any, AsyncGenerator, Optional, Text, Tuple

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

TICKET_SECONDS = 10.0  # how long a ticket outlives the last sign of life of its holder
POLL_SECONDS = 0.02  # how often a waiting message looks whether its turn has come
KEY_MARGIN_SECONDS = 5  # the key outlives its last ticket by this much


# Drops expired tickets, then issues a ticket, renews one or removes one, and stores the
# list in TicketLock's JSON (each ticket a JSON string in it) with an expiry, or deletes
# the key once the list is empty. Ticket numbers and expiry follow rasa.core.lock.TicketLock;
# the time is the caller's. Returns {ticket number, the stored JSON or false}.
CHANGE_TICKETS = """
local key = KEYS[1]
local operation, now, seconds = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local number, conversation_id, margin = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local stored = redis.call('GET', key)
local tickets = {}
if stored then
  for _, encoded in ipairs(cjson.decode(stored).tickets or {}) do
    local ticket = cjson.decode(encoded)
    if ticket.expires >= now then table.insert(tickets, ticket) end
  end
end
if operation == 'issue' then
  number = #tickets > 0 and tickets[#tickets].number + 1 or 0
  table.insert(tickets, {number = number, expires = now + seconds})
else
  for index = #tickets, 1, -1 do
    if tickets[index].number == number then
      if operation == 'renew' then tickets[index].expires = now + seconds else table.remove(tickets, index) end
    end
  end
end
if #tickets == 0 then
  redis.call('DEL', key)
  return {number, false}
end
local last_expiry, encoded = now, {}
for index, ticket in ipairs(tickets) do
  last_expiry = math.max(last_expiry, ticket.expires)
  encoded[index] = cjson.encode(ticket)
end
local json = cjson.encode({conversation_id = conversation_id, tickets = encoded})
redis.call('SET', key, json, 'PX', math.max(1, math.floor((last_expiry - now + margin) * 1000)))
return {number, json}
"""


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
        self._change_tickets = self.red.register_script(CHANGE_TICKETS)

    # ---- every change of a ticket list is one Lua script, which Redis runs atomically ----

    def _change(self, conversation_id: Text, operation: Text, ticket_number: int = -1) -> Tuple[int, TicketLock]:
        """Runs one change of the stored lock in Redis (CHANGE_TICKETS); the ticket number it
        concerns and the lock as it left it."""
        try:
            number, stored = self._change_tickets(
                keys=[self.key_prefix + conversation_id],
                args=[operation, time.time(), self.ticket_seconds, ticket_number, conversation_id, KEY_MARGIN_SECONDS],
            )
        except redis.RedisError as error:
            raise LockError(f"The lock store could not be changed: {error}") from error
        lock = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
        return int(number), lock

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._change(conversation_id, "issue")[0]

    def renew_ticket(self, conversation_id: Text, ticket_number: int) -> None:
        """Pushes a live ticket's expiry forward (its holder is still working or waiting)."""
        self._change(conversation_id, "renew", ticket_number)

    def update_lock(self, conversation_id: Text) -> None:
        # Rasa calls this after every wait (every POLL_SECONDS per waiting message) to drop
        # expired tickets. Reading a lock already skips them, and every change drops them, so
        # writing here would only cost a transaction per poll.
        pass

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, "finish", ticket_number)

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
        ticket, lock = self._change(conversation_id, "issue")
        keep_alive = asyncio.ensure_future(self._keep_alive(conversation_id, ticket))
        try:
            if lock.is_locked(ticket):  # someone else's message first: wait for our turn
                lock = await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, self.poll_seconds))
            yield lock
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
