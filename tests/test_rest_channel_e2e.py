"""Bad input over the contract's REST channel: a polite answer or a clear 4xx, never a 500,
and the conversation stays usable afterwards."""

import uuid

import pytest
import requests

NEW = object()  # a fresh sender for the case

CASES = [
    # (name, body as JSON or raw bytes, expected status, the bot must answer with text)
    ("empty message", {"message": ""}, 200, True),
    ("only spaces", {"message": "   "}, 200, True),
    ("control characters", {"message": "my calf\x00\x07 twitches"}, 200, True),
    ("emoji", {"message": "😩 calf 🦵 twitching"}, 200, True),
    ("another script", {"message": "мои мышцы дергаются"}, 200, True),
    ("html and script tags", {"message": "<script>alert(1)</script><b>hi</b>"}, 200, True),
    ("sql-looking text", {"message": "'; DROP TABLE events; --"}, 200, True),
    ("10 000 characters", {"message": "my calf twitches " * 588}, 200, True),
    ("100 000 characters", {"message": "x" * 100_000}, 413, False),
    ("message is a number", {"message": 12345}, 400, False),
    ("message is a list", {"message": ["hi"]}, 400, False),
    ("message is null", {"message": None}, 400, False),
    ("message missing", {}, 400, False),
    ("sender missing", {"message": "hi", "sender": None}, 400, False),
    ("sender empty", {"message": "hi", "sender": ""}, 400, False),
    ("sender too long", {"message": "hi", "sender": "s" * 500}, 400, False),
    ("malformed JSON", b"{not json", 400, False),
    ("invalid UTF-8", b'{"sender": "x", "message": "\xff\xfe"}', 400, False),
    ("a JSON array", b"[1, 2]", 400, False),
    ("message id is a list", {"message": "hi", "message_id": ["m1"]}, 400, False),
    ("message id empty", {"message": "hi", "message_id": ""}, 400, False),
    ("message id with a control character", {"message": "hi", "message_id": "m\x001"}, 400, False),
    ("message id given", {"message": "my calf twitches", "message_id": "m-1"}, 200, True),
]


@pytest.mark.e2e
@pytest.mark.parametrize("name, body, status, answers", CASES, ids=[case[0] for case in CASES])
def test_bad_input_gets_an_answer_or_a_clear_4xx(rasa_server, name, body, status, answers):
    url = f"{rasa_server.url}/webhooks/rest/webhook"
    sender = f"bad-input-{uuid.uuid4().hex}"
    if isinstance(body, bytes):
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    else:
        payload = {"sender": sender, **body}
        response = requests.post(url, json=payload, timeout=60)
    assert response.status_code == status, response.text[:300]
    if answers:
        assert any(message.get("text") for message in response.json())
    elif status >= 400:
        assert response.json().get("message"), "a 4xx says what is wrong"

    # the conversation (and the server) still work afterwards
    follow_up = requests.post(url, json={"sender": sender, "message": "my calf keeps twitching"}, timeout=60)
    assert follow_up.status_code == 200
    assert any(message.get("text") for message in follow_up.json())


@pytest.mark.e2e
def test_bot_text_is_plain_text_never_markup(rasa_server):
    """What the person typed is never echoed back as markup."""
    url = f"{rasa_server.url}/webhooks/rest/webhook"
    reply = requests.post(url, json={"sender": uuid.uuid4().hex, "message": "<img src=x onerror=alert(1)>"}, timeout=60)
    assert "<img" not in reply.text


@pytest.mark.e2e
def test_the_api_refuses_requests_without_the_token(rasa_server):
    sender = uuid.uuid4().hex
    assert requests.get(f"{rasa_server.url}/conversations/{sender}/tracker", timeout=30).status_code == 401
    assert requests.get(f"{rasa_server.url}/conversations/{sender}/tracker?token=wrong", timeout=30).status_code == 401
    ok = requests.get(f"{rasa_server.url}/conversations/{sender}/tracker?token={rasa_server.token}", timeout=30)
    assert ok.status_code == 200


@pytest.mark.e2e
def test_a_message_resent_with_its_id_is_stored_once_and_gets_the_same_answer(rasa_server):
    from tools.bot_client import BotClient

    bot, sender = BotClient(rasa_server.url, rasa_server.token), f"resend-{uuid.uuid4().hex}"
    first = bot.send(sender, "my calves twitch since a week", message_id="a1")
    assert bot.send(sender, "my calves twitch since a week", message_id="a1") == first
    second = bot.send(sender, "no", message_id="a2")
    assert bot.send(sender, "no", message_id="a2") == second
    texts = [event["text"] for event in bot.tracker(sender)["events"] if event["event"] == "user"]
    assert texts == ["my calves twitch since a week", "no"]


@pytest.mark.e2e
@pytest.mark.parametrize("aside", ["hello", "thanks"])
def test_a_hello_or_thanks_during_the_questions_gets_the_question_again(rasa_server, aside):
    from tools.bot_client import BotClient

    bot, sender = BotClient(rasa_server.url, rasa_server.token), f"aside-{uuid.uuid4().hex}"
    question = bot.send(sender, "my calf keeps twitching")[-1]["text"]
    assert bot.send(sender, aside)[-1]["text"] == question  # never silence
    assert bot.slots(sender)["requested_slot"]
