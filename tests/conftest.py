"""Shared fixtures: a Tracker / CollectingDispatcher for action tests, and real servers
(action server + Rasa server with REST channel, token API and SQLite) for end-to-end tests."""

from typing import Any, Dict, Iterator, List, Optional

import pytest

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

@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory) -> Iterator[RasaServer]:
    workdir = tmp_path_factory.mktemp("servers")
    server = start_servers(workdir, workdir / "conversations.db")
    yield server
    stop_servers(server)
    for log in ("rasa.log", "actions.log"):
        text = (workdir / log).read_text()
        if "Traceback" in text:
            pytest.fail(f"{log} has an exception (the servers must never fail):\n{text[-4000:]}")
