"""Telegram: Rasa's connector, with reply keyboards, a webhook secret and a settable API server.

* Buttons become a reply keyboard: pressing "Yes" sends "Yes", which the bot understands
  like a typed answer.
* `secret_token` (optional): Telegram then signs each webhook call with the header
  X-Telegram-Bot-Api-Secret-Token, and calls without it are refused.
* `api_server` (optional): where the Bot API lives; tests point it at a local recorder.
"""

import hmac
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from aiogram.bot.api import TelegramAPIServer, TELEGRAM_PRODUCTION
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramReplyKeyboardOutput(TelegramOutput):
    def __init__(self, access_token: Optional[Text], api_server: Optional[Text] = None) -> None:
        server = TelegramAPIServer.from_base(api_server) if api_server else TELEGRAM_PRODUCTION
        super(TelegramOutput, self).__init__(access_token, server=server)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await super().send_text_with_buttons(recipient_id, text, buttons, button_type="reply")


class TelegramChannel(TelegramInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramChannel":
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials  # raised above (Rasa's method is untyped, so mypy cannot tell)
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token"),
            api_server=credentials.get("api_server"),
        )

    def __init__(self, access_token, verify, webhook_url, secret_token=None, api_server=None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.api_server = api_server

    def get_output_channel(self) -> TelegramReplyKeyboardOutput:
        # No network call here: the webhook is registered with `make telegram-webhook`.
        return TelegramReplyKeyboardOutput(self.access_token, self.api_server)

    async def register_webhook(self) -> bool:
        bot = self.get_output_channel()
        try:
            payload = {"url": self.webhook_url}
            if self.secret_token:
                payload["secret_token"] = self.secret_token
            return bool(await bot.request("setWebhook", payload))
        finally:
            await (await bot.get_session()).close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        if self.secret_token:

            @blueprint.middleware("request")
            async def check_secret(request: Request):
                if request.method == "POST":
                    sent = request.headers.get(SECRET_HEADER, "")
                    if not hmac.compare_digest(sent, self.secret_token):
                        return response.text("forbidden", status=403)

        return blueprint


def main() -> None:
    """`make telegram-webhook`: tells Telegram where to deliver messages."""
    import asyncio

    from channels.credentials import credentials

    settings = credentials().get("channels.telegram.TelegramChannel")
    if not settings or not settings.get("webhook_url"):
        raise SystemExit("Set TELEGRAM_ACCESS_TOKEN and TELEGRAM_WEBHOOK_URL first (see README).")
    ok = asyncio.run(TelegramChannel.from_credentials(settings).register_webhook())
    print("Telegram webhook set" if ok else "Telegram refused the webhook")


if __name__ == "__main__":
    main()
