"""Validates action-server replies with a schema validator built once (Rasa 3.6 speed-up).

Rasa's RemoteAction._validate_action_result calls jsonschema.validate, which checks the
schema itself again for every reply: about 60 ms of CPU per custom-action call on these
machines, the largest cost of a form turn (benchmarks/, "where the time goes"). Building
the validator once gives the same verdict and the same error (best match, same message)
in a few milliseconds. Installed by rasa_patches.apply().
"""

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _reply_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
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
