"""The faster validation of action-server replies gives Rasa's verdicts."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import policies.action_reply_validation  # noqa: F401


def validate(reply):
    return RemoteAction("action_extract_findings", None)._validate_action_result(reply)


def test_a_valid_reply_passes():
    assert validate({"events": [{"event": "slot", "name": "cramps", "value": "yes"}], "responses": []})


def test_an_invalid_reply_is_refused_with_rasas_explanation():
    with pytest.raises(ValidationError) as error:
        validate({"events": [{"no_event_key": 1}], "responses": "not a list"})
    assert "Failed to validate Action server response" in error.value.message


def test_the_patch_is_in_force():
    assert RemoteAction._validate_action_result is policies.action_reply_validation.validate_action_result
