"""The follow-up questions the bot sends are the ones in the knowledge file."""

import yaml

from scripts.build_question_responses import OUT, render
from triage.engine import load_knowledge


def test_domain_questions_are_up_to_date_with_the_knowledge_file():
    assert OUT.read_text() == render(), "run `python -m scripts.build_question_responses` (make train does)"


def test_every_question_the_form_can_ask_has_buttons():
    responses = yaml.safe_load(OUT.read_text())["responses"]
    for finding in load_knowledge().asked_findings():
        (response,) = responses[f"utter_ask_{finding}"]
        assert response["text"] == load_knowledge().findings[finding]["question"]
        payloads = [button["payload"] for button in response["buttons"]]
        assert payloads[-1] == "/unsure"
        if finding != "duration":
            assert payloads == ["/affirm", "/deny", "/unsure"]
