"""The website widget: serves the chat widget's files from the Rasa server itself.

    GET /webhooks/widget/            a demo page with the widget on it
    GET /webhooks/widget/widget.js   the widget (plain JavaScript, no build step)
    GET /webhooks/widget/widget.css  its styles (loaded by widget.js)

This channel handles no messages: the widget talks to the REST channel
(POST /webhooks/rest/webhook) of the same server, and draws the assessment card from the
REST reply's `custom` message. Any site can embed it with one line:

    <script src="http://HOST:5005/webhooks/widget/widget.js" defer></script>

(a site on another origin also needs the server started with `--cors "https://that.site"`,
which `make serve` passes from WIDGET_CORS_ORIGINS).
"""

import base64
import hashlib
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

STATIC_DIR = Path(__file__).resolve().parent / "widget_static"
FILES = {
    "index.html": "text/html; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
}


def _demo_page_policy(page: bytes) -> Text:
    """The demo page runs no inline code, and talks only to its own server."""
    styles = re.findall(rb"<style>(.*?)</style>", page, flags=re.S)
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(style).digest()).decode() + "'" for style in styles)
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self' {hashes}; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'"
    )


class _StaticFile:
    def __init__(self, name: Text) -> None:
        self.body = (STATIC_DIR / name).read_bytes()
        self.content_type = FILES[name]
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    def respond(self, request: Request, extra_headers: Dict[Text, Text]) -> HTTPResponse:
        headers = {
            "ETag": self.etag,
            "Cache-Control": "no-cache",  # revalidate: a new release shows at once
            "X-Content-Type-Options": "nosniff",
            **extra_headers,
        }
        if request.headers.get("if-none-match") == self.etag:
            return response.empty(status=304, headers=headers)
        return response.raw(self.body, content_type=self.content_type, headers=headers)


class WidgetChannel(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Any) -> "WidgetChannel":
        return cls()  # nothing to configure

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        files = {name: _StaticFile(name) for name in FILES}
        page_policy = _demo_page_policy(files["index.html"].body)
        widget = Blueprint("widget", __name__)

        @widget.route("/", methods=["GET"])
        async def demo_page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                # The page loads widget.js by a relative address.
                return response.redirect(request.path + "/")
            return files["index.html"].respond(
                request,
                {
                    "Content-Security-Policy": page_policy,
                    "Referrer-Policy": "no-referrer",
                },
            )

        @widget.route("/widget.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return files["widget.js"].respond(request, {})

        @widget.route("/widget.css", methods=["GET"])
        async def styles(request: Request) -> HTTPResponse:
            return files["widget.css"].respond(request, {})

        return widget
