"""The terminal chat's own logic: numbers pick suggestions, nothing else is changed."""

from channels.terminal import numbered, resolve

BUTTONS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "Not sure", "payload": "/unsure"},
]


def test_suggestions_are_numbered_without_payloads():
    assert numbered(BUTTONS) == "1 Yes  2 No  3 Not sure"


def test_a_number_picks_its_suggestion_and_anything_else_is_sent_as_typed():
    assert resolve("2", BUTTONS) == "/deny"
    assert resolve(" 3 ", BUTTONS) == "/unsure"
    assert resolve("no", BUTTONS) == "no"
    assert resolve("4", BUTTONS) == "4"  # not a suggestion: sent as typed
    assert resolve("", BUTTONS) == ""
    assert resolve("2", []) == "2"
