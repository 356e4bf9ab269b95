"""The project's changes to Rasa 3.6 internals, in one place, switched on by `apply()`.

* reply_validation: action-server replies are checked with a JSON-schema validator built
  once (RemoteAction._validate_action_result); same verdicts, several times faster.
* outage_answer: when the action server cannot be reached, the person still gets an answer
  (MessageProcessor._run_action wraps remote actions only).
* lean_action_calls: an action-server call carries the events of the current turn only
  (RemoteAction._action_call_format), so its cost does not grow with the conversation.
* resend_once: a message sent again with the same message id is answered from the stored
  conversation instead of being handled twice (MessageProcessor.handle_message).

`apply()` is called from one hook: importing policies/red_flag_policy.py, which every model
of this project loads (config.yml), so the patches are in force in `rasa run`, `rasa shell`,
`rasa test` and the benchmarks alike. It checks Rasa's version and the patched signatures
first, and raises on a mismatch rather than patching something it was not written for.
"""

import inspect
from typing import Callable, Dict, Optional, Tuple

SUPPORTED_RASA = ("3.6.",)  # written against 3.6.21
EXPECTED_PARAMETERS: Dict[str, Tuple[str, ...]] = {
    "RemoteAction._validate_action_result": ("self", "result"),
    "MessageProcessor._run_action": ("self", "action", "tracker", "output_channel", "nlg", "prediction"),
    "RemoteAction._action_call_format": ("self", "tracker", "domain"),
    "MessageProcessor.handle_message": ("self", "message"),
    "MessageProcessor._handle_message_with_tracker": ("self", "message", "tracker"),
}
_applied = False


class IncompatibleRasa(RuntimeError):
    """Rasa is not the version these patches were written for."""


def _targets() -> Dict[str, Callable]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    return {
        "RemoteAction._validate_action_result": RemoteAction._validate_action_result,
        "MessageProcessor._run_action": MessageProcessor._run_action,
        "RemoteAction._action_call_format": RemoteAction._action_call_format,
        "MessageProcessor.handle_message": MessageProcessor.handle_message,
        "MessageProcessor._handle_message_with_tracker": MessageProcessor._handle_message_with_tracker,
    }


def check_compatibility(version: Optional[str] = None, targets: Optional[Dict[str, Callable]] = None) -> None:
    """Raises IncompatibleRasa unless Rasa's version and the patched methods are as expected."""
    if version is None:
        import rasa

        version = rasa.__version__
    if not version.startswith(SUPPORTED_RASA):
        raise IncompatibleRasa(f"rasa_patches were written for Rasa {SUPPORTED_RASA}, found {version}")
    for name, function in (targets or _targets()).items():
        original = getattr(function, "__wrapped_original__", function)
        found = tuple(inspect.signature(original).parameters)
        if found != EXPECTED_PARAMETERS[name]:
            raise IncompatibleRasa(f"{name} takes {found}, the patch expects {EXPECTED_PARAMETERS[name]}")


def apply() -> None:
    """Checks, then installs the patches; a second call does nothing."""
    global _applied
    if _applied:
        return
    check_compatibility()
    from rasa_patches import lean_action_calls, outage_answer, reply_validation, resend_once

    reply_validation.install()
    lean_action_calls.install()
    outage_answer.install()
    resend_once.install()
    _applied = True
