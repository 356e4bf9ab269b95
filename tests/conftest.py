"""Shared fixtures: a Tracker / CollectingDispatcher for action tests, and real servers
(action server + Rasa server with REST channel, token API and SQLite) for end-to-end tests."""

from typing import Any, Dict, Iterator, List, Optional

import pytest
import yaml

from channels.credentials import credentials
from tools.fake_chat_apis import FakeChatApis
from tools.server_logs import tracebacks_in
from tools.servers import RasaServer, start_servers, stop_servers


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: starts the real Rasa and action servers")


# ---- action tests -------------------------------------------------------------------


@pytest.fixture
def dispatcher():
    from rasa_sdk.executor import CollectingDispatcher

    return CollectingDispatcher()


@pytest.fixture
def domain() -> Dict[str, Any]:
    return {}


@pytest.fixture
def make_tracker():
    """Builds a rasa_sdk Tracker from slots, the latest message and the open question."""
    from rasa_sdk import Tracker

    def build(
        slots: Optional[Dict[str, Any]] = None,
        text: str = "",
        intent: str = "describe_symptoms",
        entities: Optional[List[Dict[str, Any]]] = None,
        requested_slot: Optional[str] = None,
        channel: str = "rest",
    ) -> Tracker:
        all_slots = dict(slots or {})
        if requested_slot:
            all_slots["requested_slot"] = requested_slot
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        }
        events = [{"event": "user", "text": text, "parse_data": message, "input_channel": channel}]
        return Tracker(
            sender_id="test-user",
            slots=all_slots,
            latest_message=message,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": "triage_form"} if requested_slot else {},
            latest_action_name="action_listen",
        )

    return build


# ---- real servers -------------------------------------------------------------------

TELEGRAM_TOKEN = "123456:TEST-token-for-the-local-fake-api"
TELEGRAM_SECRET = "telegram-test-secret"
SLACK_SIGNING_SECRET = "slack-test-signing-secret"


@pytest.fixture(scope="session")
def fake_chat_apis() -> Iterator[FakeChatApis]:
    apis = FakeChatApis().start()
    yield apis
    apis.stop()


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, fake_chat_apis) -> Iterator[RasaServer]:
    """Every channel on: REST, the widget, and Telegram and Slack against local fake APIs."""
    workdir = tmp_path_factory.mktemp("servers")
    settings = credentials(
        {
            "TELEGRAM_ACCESS_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_BOT_USERNAME": fake_chat_apis.telegram_username,
            "TELEGRAM_WEBHOOK_URL": "https://example.invalid/webhooks/telegram/webhook",
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "TELEGRAM_API_SERVER": fake_chat_apis.url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_API_BASE_URL": f"{fake_chat_apis.url}/api/",
        }
    )
    credentials_file = workdir / "credentials.yml"
    credentials_file.write_text(yaml.safe_dump(settings))
    server = start_servers(workdir, workdir / "conversations.db", credentials=credentials_file)
    yield server
    stop_servers(server)
    for log, records in tracebacks_in(path for paths in server.logs.values() for path in paths).items():
        pytest.fail(f"{log.name} has an exception (the servers must never fail):\n{''.join(records)[-4000:]}")
