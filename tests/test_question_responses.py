"""The follow-up questions the bot sends are the ones in the knowledge file."""

import yaml

from scripts.build_question_responses import OUT, render
from triage.engine import load_knowledge


def test_domain_questions_are_up_to_date_with_the_knowledge_file():
    assert OUT.read_text() == render(), "run `python -m scripts.build_question_responses` (make train does)"


def test_every_question_the_form_can_ask_has_buttons():
    responses = yaml.safe_load(OUT.read_text())["responses"]
    for finding in load_knowledge().asked_findings():
        variants = responses[f"utter_ask_{finding}"]
        assert variants[0]["text"] == load_knowledge().findings[finding]["question"]  # the default wording
        for response in variants:
            payloads = [button["payload"] for button in response["buttons"]]
            assert payloads[-1] == "/unsure"
            if finding != "duration":
                assert payloads == ["/affirm", "/deny", "/unsure"]


def test_every_wording_of_a_question_is_chosen_by_exactly_one_condition():
    """Rasa picks at random among matching variations: each style must match one only."""
    responses = yaml.safe_load(OUT.read_text())["responses"]
    for name, variants in responses.items():
        conditions = [tuple((c["name"], c["value"]) for c in v.get("condition", [])) for v in variants]
        assert len(conditions) == len(set(conditions)), name
        assert conditions.count(()) == 1, name  # one default


def test_every_grouped_item_button_is_understood_as_its_finding():
    """Telegram sends a button's title, the widget its payload: both must name the finding."""
    from twitch_nlp.finding_extractor import entities_from_doc
    from twitch_nlp.pipeline import build_pipeline
    from triage.engine import load_knowledge

    nlp, kb = build_pipeline(), load_knowledge()
    for group in kb.question_groups.values():
        for finding in group["findings"]:
            for said in kb.findings[finding]["button"].values():
                found = {e["entity"]: e["value"] for e in entities_from_doc(nlp(said))}
                assert found.get(finding) == "yes", (finding, said, found)
