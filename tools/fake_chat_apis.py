"""A local stand-in for the Telegram Bot API and the Slack Web API, for tests.

It records every call (method, chat/channel, text, keyboard) that the bot makes, and
answers the way the real APIs do, so the connectors run unchanged but nothing leaves
the machine.
"""

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from aiohttp import web


@dataclass
class Call:
    api: str  # "telegram" or "slack"
    method: str
    fields: Dict[str, Any]


@dataclass
class FakeChatApis:
    telegram_username: str = "twitch_triage_bot"
    calls: List[Call] = field(default_factory=list)
    port: int = 0
    _loop: Optional[asyncio.AbstractEventLoop] = None
    _runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent(self, api: str, method: str) -> List[Call]:
        return [call for call in self.calls if call.api == api and call.method == method]

    def wait_for(self, api: str, method: str, count: int, seconds: float = 90) -> List[Call]:
        """Waits until `count` calls of a method were made; returns them all."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            calls = self.sent(api, method)
            if len(calls) >= count:
                return calls
            time.sleep(0.1)
        raise TimeoutError(f"{api}.{method}: {len(self.sent(api, method))} calls, expected {count}")

    async def _fields(self, request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        fields: Dict[str, Any] = {}
        for key, value in form.items():
            try:
                fields[key] = (
                    json.loads(value) if key == "reply_markup" and not isinstance(value, web.FileField) else value
                )
            except (TypeError, ValueError):
                fields[key] = value
        return fields

    async def _telegram(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields = await self._fields(request)
        self.calls.append(Call("telegram", method, fields))
        if method == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "Twitch", "username": self.telegram_username}
        elif method == "sendMessage":
            result = {
                "message_id": len(self.calls),
                "date": int(time.time()),
                "chat": {"id": int(fields.get("chat_id", 0)), "type": "private"},
                "text": fields.get("text", ""),
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    async def _slack(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(Call("slack", method, await self._fields(request)))
        return web.json_response({"ok": True, "channel": "D1", "ts": str(time.time())})

    def start(self) -> "FakeChatApis":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/bot{token}/{method}", self._telegram)
            app.router.add_post("/api/{method}", self._slack)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop:
            if self._runner:  # serve() creates it just after the loop
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
