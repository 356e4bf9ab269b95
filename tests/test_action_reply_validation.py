"""The project's patches of Rasa internals (rasa_patches/): same verdicts, one explicit
apply(), a loud failure on a Rasa they were not written for."""

import aiohttp
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.exceptions import RasaException

import rasa_patches
from rasa_patches import outage_answer, reply_validation

rasa_patches.apply()


def validate(reply):
    return RemoteAction("action_extract_findings", None)._validate_action_result(reply)


def test_a_valid_reply_passes():
    assert validate({"events": [{"event": "slot", "name": "cramps", "value": "yes"}], "responses": []})


def test_an_invalid_reply_is_refused_with_rasas_explanation():
    with pytest.raises(ValidationError) as error:
        validate({"events": [{"no_event_key": 1}], "responses": "not a list"})
    assert "Failed to validate Action server response" in error.value.message


def test_the_patches_are_in_force_and_apply_is_idempotent():
    run_action = MessageProcessor._run_action
    rasa_patches.apply()
    assert RemoteAction._validate_action_result is reply_validation.validate_action_result
    assert MessageProcessor._run_action is run_action  # not wrapped twice


def test_another_rasa_version_fails_loudly():
    with pytest.raises(rasa_patches.IncompatibleRasa):
        rasa_patches.check_compatibility(version="3.7.0")


def test_a_changed_signature_fails_loudly():
    async def _run_action(self, action, tracker, output_channel, nlg):  # "prediction" gone
        return True

    with pytest.raises(rasa_patches.IncompatibleRasa):
        rasa_patches.check_compatibility(targets={"MessageProcessor._run_action": _run_action})


def test_the_installed_rasa_matches_what_the_patches_expect():
    rasa_patches.check_compatibility()


def test_an_outage_is_recognised_by_its_exception_not_its_words():
    def raised_while_handling(cause):
        try:
            try:
                raise cause
            except Exception:
                raise RasaException("any wording at all")
        except RasaException as error:
            return error

    assert outage_answer.is_unreachable(raised_while_handling(aiohttp.ClientConnectionError("refused")))
    assert not outage_answer.is_unreachable(raised_while_handling(ValueError("a bug")))
    assert not outage_answer.is_unreachable(RasaException("Couldn't connect to the server"))


# ---- lean action calls and resent messages -------------------------------------------------


def conversation_of(*events):
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("someone", slots=[])
    for event in events:
        tracker.update(event)
    return tracker


def test_an_action_call_carries_this_turns_events_and_the_full_state():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    tracker = conversation_of(
        UserUttered("my calf twitches"),
        ActionExecuted("triage_form"),
        BotUttered("Any chest pain?"),
        ActionExecuted("action_listen"),
        UserUttered("no"),
        SlotSet("emergency_signs", "no"),
    )
    call = RemoteAction("action_extract_findings", None)._action_call_format(tracker, Domain.empty())
    assert [event["event"] for event in call["tracker"]["events"]] == ["user", "slot"]
    assert call["tracker"]["latest_message"]["text"] == "no"
    summary = RemoteAction("action_doctor_summary", None)._action_call_format(tracker, Domain.empty())
    assert len(summary["tracker"]["events"]) == len(tracker.events)  # it quotes the whole conversation


def test_a_resent_message_is_answered_from_the_stored_replies():
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    from rasa_patches.resend_once import replies_to

    tracker = conversation_of(
        UserUttered("my calf twitches", message_id="m1"),
        BotUttered("Any chest pain?", {"buttons": [{"title": "No"}]}),
        ActionExecuted("action_listen"),
        UserUttered("no", message_id="m2"),
        BotUttered("Any weakness?"),
    )
    assert replies_to(tracker, "m1") == [{"text": "Any chest pain?", "buttons": [{"title": "No"}]}]
    assert replies_to(tracker, "m2") == [{"text": "Any weakness?"}]
    assert replies_to(tracker, "m3") is None
