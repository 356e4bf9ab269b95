"""Validates action-server replies with schema validators built once (Rasa 3.6 speed-up).

Rasa's RemoteAction._validate_action_result calls jsonschema.validate, which checks the
schema itself again for every reply: about 60 ms of CPU per custom-action call on these
machines, the largest cost of a form turn (benchmarks/, "where the time goes").

Each event in a reply must match exactly one branch of Rasa's event schema (`oneOf`), and
the branches differ by the event's name (`{"event": {"const": ...}}`). So a valid reply
is recognised by checking each event against the one branch its name picks, with
validators built once; anything else goes through the whole schema, which gives Rasa's
verdict and error (best match, same message). Installed by rasa_patches.apply().
"""

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.utils.schemas.events import EVENT_SCHEMA


@lru_cache(maxsize=1)
def _reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def _event_validators() -> Dict[Text, Any]:
    """Event name -> a validator of the common part plus that name's branch."""
    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    by_name = {}
    for branch in EVENT_SCHEMA["oneOf"]:
        schema = {"allOf": [common, branch]}
        validator_class = validators.validator_for(schema)
        by_name[branch["properties"]["event"]["const"]] = validator_class(schema)
    return by_name


def _plainly_valid(result: Any) -> bool:
    if not isinstance(result, dict):
        return False
    responses = result.get("responses", [])
    if not (isinstance(responses, list) and all(isinstance(response, dict) for response in responses)):
        return False
    events = result.get("events", [])
    if not isinstance(events, list):
        return False
    validators_by_name = _event_validators()
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        validator = validators_by_name.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if _plainly_valid(result):
        return True
    error = exceptions.best_match(_reply_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    setattr(validate_action_result, "__wrapped_original__", RemoteAction._validate_action_result)
    RemoteAction._validate_action_result = validate_action_result
