"""Rasa's graph of components run by plain Python calls instead of dask (Rasa 3.6).

Every message runs the model's graph several times: once to understand it, once per
action to predict. Rasa's DaskGraphRunner works out the minimal graph for the targets,
builds a dask task graph and hands it to dask's scheduler each time. Here the task graph
for each set of targets is built once, and each run evaluates it depth-first with the
same semantics (a node gets its needs' outputs; a need that is no node is passed by name,
as dask does). Installed by rasa_patches.apply().
"""

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_PLANS = "_plain_run_plans"  # attribute of each runner: targets -> task graph


def evaluate(graph: Dict[Text, Any], targets: List[Text]) -> List[Any]:
    """dask.get(graph, targets) for a graph of `(callable, *keys)` tasks and literals."""
    results: Dict[Text, Any] = {}

    def value(key: Any) -> Any:
        if not isinstance(key, str) or key not in graph:
            return key
        if key not in results:
            task = graph[key]
            if isinstance(task, tuple) and task and callable(task[0]):
                results[key] = task[0](*[value(need) for need in task[1:]])
            else:
                results[key] = task
        return results[key]

    return [value(target) for target in targets]


def install() -> None:
    original = DaskGraphRunner.run

    def run(
        self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
    ) -> Dict[Text, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        plans: Dict[Tuple[Text, ...], Dict[Text, Any]] = self.__dict__.setdefault(_PLANS, {})
        plan = plans.get(tuple(run_targets))
        if plan is None:
            plan = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
            plans[tuple(run_targets)] = plan
        graph = dict(plan)
        if inputs:
            self._add_inputs_to_graph(inputs, graph)
        try:
            return dict(evaluate(graph, run_targets))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error

    setattr(run, "__wrapped_original__", original)
    DaskGraphRunner.run = run
