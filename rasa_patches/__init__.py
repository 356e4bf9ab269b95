"""The project's changes to Rasa 3.6 internals, in one place, switched on by `apply()`.

* reply_validation: action-server replies are checked with a JSON-schema validator built
  once (RemoteAction._validate_action_result); same verdicts, several times faster.
* outage_answer: when the action server cannot be reached, the person still gets an answer
  (MessageProcessor._run_action wraps remote actions only).
* lean_action_calls: an action-server call carries the events of the current turn only
  (RemoteAction._action_call_format), so its cost does not grow with the conversation.
* resend_once: a message sent again with the same message id is answered from the stored
  conversation instead of being handled twice (MessageProcessor.handle_message).
* kept_alive_sessions: calls to the action server reuse one HTTP session and its
  connections (EndpointConfig.session, EndpointConfig.request).
* event_types: an event's class is found by its name in a table (Event.resolve_by_type).
* plain_graph_runs: the model's graph runs by plain calls, its plan built once per set of
  targets, instead of through dask's scheduler on every run (DaskGraphRunner.run).

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
    "EndpointConfig.session": ("self",),
    "EndpointConfig.request": ("self", "method", "subpath", "content_type", "compress", "kwargs"),
    "Event.resolve_by_type": ("type_name", "default"),
    "DaskGraphRunner.run": ("self", "inputs", "targets"),
}
_applied = False


class IncompatibleRasa(RuntimeError):
    """Rasa is not the version these patches were written for."""


def _targets() -> Dict[str, Callable]:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    return {
        "RemoteAction._validate_action_result": RemoteAction._validate_action_result,
        "MessageProcessor._run_action": MessageProcessor._run_action,
        "RemoteAction._action_call_format": RemoteAction._action_call_format,
        "MessageProcessor.handle_message": MessageProcessor.handle_message,
        "MessageProcessor._handle_message_with_tracker": MessageProcessor._handle_message_with_tracker,
        "EndpointConfig.session": EndpointConfig.session,
        "EndpointConfig.request": EndpointConfig.request,
        "Event.resolve_by_type": Event.resolve_by_type,
        "DaskGraphRunner.run": DaskGraphRunner.run,
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
    from rasa_patches import (
        event_types,
        kept_alive_sessions,
        lean_action_calls,
        outage_answer,
        plain_graph_runs,
        reply_validation,
        resend_once,
    )

    reply_validation.install()
    kept_alive_sessions.install()
    event_types.install()
    plain_graph_runs.install()
    lean_action_calls.install()
    outage_answer.install()
    resend_once.install()
    _applied = True
