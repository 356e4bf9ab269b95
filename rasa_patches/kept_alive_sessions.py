"""One HTTP session per endpoint, kept alive, instead of a new one per request (Rasa 3.6).

Rasa's EndpointConfig.request opens a new aiohttp session, and so a new TCP connection,
for every call to the action server: two per message, each with its connection set-up
and teardown on both sides. Here each endpoint keeps one session per event loop and
reuses its connections. An idle connection is dropped after KEEP_IDLE_SECONDS, before
the server (Sanic: 5 s) would close it. A request that finds its kept connection closed
by the other side (the action server restarted) is sent once more on a new one; our
actions only compute events from the tracker, so running one twice changes nothing.
Installed by rasa_patches.apply().
"""

import asyncio
from typing import Any, List, Optional

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

KEEP_IDLE_SECONDS = 2.0
STALE_CONNECTION_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class _KeptSession:
    """What `async with endpoint.session() as session` gets: the endpoint's kept session,
    left open on exit."""

    def __init__(self, endpoint: EndpointConfig) -> None:
        self.endpoint = endpoint

    async def __aenter__(self) -> aiohttp.ClientSession:
        return kept_session(self.endpoint)

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


_sessions: List[Any] = []  # (endpoint, loop, session); a handful per process


def kept_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    for kept_endpoint, kept_loop, session in _sessions:
        if kept_endpoint is endpoint and kept_loop is loop and not session.closed:
            return session
    auth: Optional[aiohttp.BasicAuth] = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_IDLE_SECONDS),
    )
    _sessions[:] = [entry for entry in _sessions if not (entry[0] is endpoint and entry[1] is loop)]
    _sessions.append((endpoint, loop, session))
    return session


async def close_kept_sessions() -> None:
    """Closes the sessions kept for this event loop."""
    loop = asyncio.get_running_loop()
    for entry in [entry for entry in _sessions if entry[1] is loop]:
        _sessions.remove(entry)
        await entry[2].close()


def install() -> None:
    original_session, original_request = EndpointConfig.session, EndpointConfig.request

    def session(self: EndpointConfig) -> Any:
        return _KeptSession(self)

    async def request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original_request(self, *args, **kwargs)
        except STALE_CONNECTION_ERRORS:
            return await original_request(self, *args, **kwargs)

    setattr(session, "__wrapped_original__", original_session)
    setattr(request, "__wrapped_original__", original_request)
    EndpointConfig.session = session
    EndpointConfig.request = request
