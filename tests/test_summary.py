"""The summary for the doctor: built from the conversation alone, in the person's words."""

from datetime import date

from triage.summary import doctor_summary, summary_request_words

FINDINGS = {
    "emergency_signs": "no",
    "weakness": "no",
    "speech_swallowing": "no",
    "muscle_wasting": "unsure",
    "cramps": "yes",
    "palpitations": "no",
    "duration": "short",
    "triggers": "yes",
}


def test_the_summary_says_who_what_how_long_each_warning_sign_the_level_and_the_date():
    text = doctor_summary(
        FINDINGS, ["caffeine"], ["my calves cramp at night and twitch"], about="your dad", on=date(2026, 12, 1)
    )
    assert text.startswith("Summary for a doctor, 1 December 2026")
    assert "About: your dad" in text
    assert '"my calves cramp at night and twitch"' in text
    assert "How long: under 4 weeks" in text
    assert "a muscle that looks visibly thinner or keeps shrinking: not sure" in text
    assert "Also reported: frequent or painful cramps or spasms" in text
    assert "Mentioned: caffeine or energy drinks" in text
    assert "Book a doctor's appointment" in text
    assert "not a diagnosis" in text


def test_the_person_s_words_are_their_symptom_messages_only():
    events = [
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "user", "text": "legs twitch a lot", "parse_data": {"intent": {"name": "describe_symptoms"}}},
        {"event": "user", "text": "/deny", "parse_data": {"intent": {"name": "describe_symptoms"}}},
        {"event": "bot", "text": "a question"},
    ]
    assert summary_request_words(events) == ["legs twitch a lot"]


import uuid  # noqa: E402

import pytest  # noqa: E402

from tools.bot_client import BotClient, bot_texts  # noqa: E402


@pytest.mark.e2e
def test_a_summary_on_request_over_rest_and_gone_after_delete_my_data(rasa_server):
    bot, sender = BotClient(rasa_server.url, rasa_server.token), f"summary-{uuid.uuid4().hex}"
    opening = "my calves keep jumping at night since 5 days, way too much coffee"
    bot.send(sender, opening)
    for _ in range(8):
        if bot.slots(sender).get("triage_level"):
            break
        bot.send(sender, "no, none of these")
    summary = " ".join(bot_texts(bot.send(sender, "can I have a summary for my GP?")))
    assert "Summary for a doctor" in summary and opening in summary
    assert "Warning signs asked" in summary and "Assessment: Self-care first" in summary
    bot.send(sender, "please delete my data")
    after = " ".join(bot_texts(bot.send(sender, "summary please")))
    assert "nothing to summarise" in after and opening not in after
