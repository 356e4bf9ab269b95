"""Telegram and Slack, end to end: real webhooks into a running Rasa server, and the
outgoing sendMessage / chat.postMessage calls captured at a local stand-in for each API."""

import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests

from tests.conftest import SLACK_SIGNING_SECRET, TELEGRAM_SECRET

pytestmark = pytest.mark.e2e
CONCLUDED = "not a diagnosis"


# ---- Telegram ---------------------------------------------------------------------


def telegram_update(chat_id: int, text: str) -> dict:
    return {
        "update_id": int(time.time() * 1000) % 2**31,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "Sam"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"},
        },
    }


def post_telegram(server, chat_id, text, secret=TELEGRAM_SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return requests.post(
        f"{server.url}/webhooks/telegram/webhook", json=telegram_update(chat_id, text), headers=headers, timeout=60
    )


def telegram_messages_to(apis, chat_id):
    return [c.fields for c in apis.sent("telegram", "sendMessage") if str(c.fields.get("chat_id")) == str(chat_id)]


def test_telegram_carries_a_full_assessment(rasa_server, fake_chat_apis):
    chat_id = int(uuid.uuid4().int % 10**9)
    assert post_telegram(rasa_server, chat_id, "my calves twitch since 4 days, lots of coffee").status_code == 200

    for _ in range(20):
        messages = telegram_messages_to(fake_chat_apis, chat_id)
        if any(CONCLUDED in m.get("text", "") for m in messages):
            break
        question = messages[-1]
        keyboard = [button["text"] for row in question["reply_markup"]["keyboard"] for button in row]
        grouped = keyboard[-2:] == ["None of these", "Not sure"] and len(keyboard) >= 4  # one button per item
        assert grouped or keyboard in (
            ["Yes", "No", "Not sure"],
            ["A few days", "1 to 3 weeks", "A month or more", "Not sure"],
        )
        count = len(messages)
        post_telegram(rasa_server, chat_id, "None of these" if grouped else "No" if "No" in keyboard else "A few days")
        deadline = time.monotonic() + 60
        while len(telegram_messages_to(fake_chat_apis, chat_id)) <= count and time.monotonic() < deadline:
            time.sleep(0.1)

    texts = [m["text"] for m in telegram_messages_to(fake_chat_apis, chat_id)]
    assert any("Self-care first" in text for text in texts), texts[-8:]
    assert any(CONCLUDED in text for text in texts)
    assert not any(text.startswith("{") for text in texts), "the card goes as text, not JSON"


def test_telegram_red_flag_gets_the_emergency_answer(rasa_server, fake_chat_apis):
    chat_id = int(uuid.uuid4().int % 10**9)
    post_telegram(rasa_server, chat_id, "my arms twitch and I passed out this morning")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        "emergency number now" in m["text"] for m in telegram_messages_to(fake_chat_apis, chat_id)
    ):
        time.sleep(0.1)
    assert any("emergency number now" in m["text"] for m in telegram_messages_to(fake_chat_apis, chat_id))


def test_telegram_refuses_calls_without_the_secret(rasa_server, fake_chat_apis):
    chat_id = int(uuid.uuid4().int % 10**9)
    assert post_telegram(rasa_server, chat_id, "hi", secret=None).status_code == 403
    assert post_telegram(rasa_server, chat_id, "hi", secret="wrong").status_code == 403
    time.sleep(1)
    assert telegram_messages_to(fake_chat_apis, chat_id) == []


# ---- Slack ------------------------------------------------------------------------


def slack_event(user: str, text: str, event_id: str) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "event_id": event_id,
            "authed_users": ["UBOT"],
            "event": {
                "type": "message",
                "channel_type": "im",
                "user": user,
                "text": text,
                "channel": f"D{user}",
                "ts": str(time.time()),
            },
        }
    ).encode()


def post_slack(server, body: bytes, secret=SLACK_SIGNING_SECRET, retry=None):
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"})
    return requests.post(f"{server.url}/webhooks/slack/webhook", data=body, headers=headers, timeout=60)


def slack_messages_to(apis, user):
    return [c.fields for c in apis.sent("slack", "chat.postMessage") if c.fields.get("channel") == f"D{user}"]


def wait_for_more(apis, user, count, seconds=60):
    deadline = time.monotonic() + seconds
    while len(slack_messages_to(apis, user)) <= count and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the rest of the same reply
    return slack_messages_to(apis, user)


def test_slack_carries_a_full_assessment(rasa_server, fake_chat_apis):
    user = f"U{uuid.uuid4().hex[:8].upper()}"
    assert (
        post_slack(
            rasa_server, slack_event(user, "eyelid twitching for 3 days, stressed", uuid.uuid4().hex)
        ).status_code
        == 200
    )
    messages = wait_for_more(fake_chat_apis, user, 0)
    for _ in range(20):
        if any(CONCLUDED in (m.get("text") or "") for m in messages):
            break
        post_slack(rasa_server, slack_event(user, "no", uuid.uuid4().hex))
        messages = wait_for_more(fake_chat_apis, user, len(messages))
    texts = [m.get("text") or "" for m in messages]
    assert any("Self-care first" in text for text in texts), texts[-8:]


def test_slack_refuses_unsigned_or_badly_signed_requests(rasa_server, fake_chat_apis):
    user = f"U{uuid.uuid4().hex[:8].upper()}"
    body = slack_event(user, "hi", uuid.uuid4().hex)
    assert post_slack(rasa_server, body, secret="not-the-secret").status_code == 400
    unsigned = requests.post(
        f"{rasa_server.url}/webhooks/slack/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert unsigned.status_code == 400
    time.sleep(1)
    assert slack_messages_to(fake_chat_apis, user) == []


def test_slack_retries_do_not_produce_duplicate_replies(rasa_server, fake_chat_apis):
    user = f"U{uuid.uuid4().hex[:8].upper()}"
    body = slack_event(user, "hello", uuid.uuid4().hex)
    post_slack(rasa_server, body)
    first = wait_for_more(fake_chat_apis, user, 0)
    assert first
    for retry in (1, 2):
        assert post_slack(rasa_server, body, retry=retry).status_code == 200
    time.sleep(3)
    assert len(slack_messages_to(fake_chat_apis, user)) == len(first)
