"""`make serve` as a deployer runs it: the HTTP API exists only with a token or a JWT
secret, and browsers may call the bot only from the configured origins."""

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator

import jwt
import pytest
import requests

from tools.servers import ROOT, free_port

pytestmark = pytest.mark.e2e

STARTUP_SECONDS = 300
ALLOWED_ORIGIN = "https://clinic.example"
JWT_SECRET = "jwt-test-secret-for-make-serve-0123456789"
# What must stay private: conversations, the model, and training a new model.
API_CALLS = [
    ("GET", "/conversations/someone/tracker"),
    ("POST", "/conversations/someone/messages"),
    ("GET", "/model"),  # not a route: must not be an open door either
    ("PUT", "/model"),
    ("POST", "/model/train"),
    ("POST", "/model/parse"),
    ("GET", "/domain"),
    ("GET", "/status"),
]


def make_serve(tmp_path: Path, extra_env: Dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"RASA_AUTH_TOKEN", "RASA_JWT_SECRET", "WIDGET_CORS_ORIGINS"}
    }
    env.update(
        {
            "RASA_PORT": str(port),
            "ACTION_SERVER_PORT": str(free_port()),
            "TRACKER_DB": str(tmp_path / "conversations.db"),
            **extra_env,
        }
    )
    log = tmp_path / "make-serve.log"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, f"make serve exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"make serve did not start:\n{log.read_text()[-3000:]}"
            try:
                if requests.get(url, timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def call(url: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, url + path, json={"text": "hi"}, timeout=60, **kwargs)


def talk(url: str, sender: str = "person-1") -> requests.Response:
    return requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": "my eyelid twitches"}, timeout=120
    )


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> Iterator[str]:
    """No RASA_AUTH_TOKEN, no RASA_JWT_SECRET, no WIDGET_CORS_ORIGINS."""
    yield from make_serve(tmp_path_factory.mktemp("serve-plain"), {})


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory) -> Iterator[str]:
    yield from make_serve(
        tmp_path_factory.mktemp("serve-jwt"),
        {
            "RASA_JWT_SECRET": JWT_SECRET,
            "WIDGET_CORS_ORIGINS": ALLOWED_ORIGIN,
        },
    )


def bearer(payload) -> Dict[str, str]:
    return {"Authorization": "Bearer " + jwt.encode(payload, JWT_SECRET, algorithm="HS256")}


@pytest.mark.parametrize("method,path", API_CALLS)
def test_without_a_token_or_jwt_secret_the_api_does_not_exist(open_server, method, path):
    assert call(open_server, method, path).status_code in (404, 405)


def test_without_credentials_people_can_still_talk_to_the_bot(open_server):
    response = talk(open_server)
    assert response.status_code == 200 and response.json()


@pytest.mark.parametrize("method,path", [c for c in API_CALLS if c != ("GET", "/model")])
def test_with_a_jwt_secret_the_api_refuses_requests_without_a_valid_jwt(jwt_server, method, path):
    assert call(jwt_server, method, path).status_code == 401
    forged = {
        "Authorization": "Bearer "
        + jwt.encode({"user": {"role": "admin"}}, "not-the-secret-but-just-as-long-0123456789")
    }
    assert call(jwt_server, method, path, headers=forged).status_code == 401


def test_a_jwt_opens_the_api_as_far_as_its_role_allows(jwt_server):
    talk(jwt_server, "person-1")
    admin = bearer({"user": {"username": "staff", "role": "admin"}})
    assert requests.get(f"{jwt_server}/conversations/person-1/tracker", headers=admin, timeout=30).ok
    own = bearer({"user": {"username": "person-1", "role": "user"}})
    assert requests.get(f"{jwt_server}/conversations/person-1/tracker", headers=own, timeout=30).ok
    other = bearer({"user": {"username": "person-2", "role": "user"}})
    assert requests.get(f"{jwt_server}/conversations/person-1/tracker", headers=other, timeout=30).status_code == 403


def test_browsers_may_call_the_bot_only_from_the_configured_origin(jwt_server):
    def preflight(origin: str) -> requests.Response:
        return requests.options(
            f"{jwt_server}/webhooks/rest/webhook",
            timeout=30,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )

    allowed = preflight(ALLOWED_ORIGIN)
    assert allowed.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    refused = preflight("https://elsewhere.example")
    assert refused.headers.get("Access-Control-Allow-Origin") in (None, "")
    reply = requests.post(
        f"{jwt_server}/webhooks/rest/webhook",
        timeout=120,
        headers={"Origin": "https://elsewhere.example"},
        json={"sender": "cors-1", "message": "hello"},
    )
    assert reply.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_without_configured_origins_no_other_site_may_call_the_bot(open_server):
    response = requests.options(
        f"{open_server}/webhooks/rest/webhook",
        timeout=30,
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert response.headers.get("Access-Control-Allow-Origin") in (None, "")
