"""Applies triage/knowledge.yml to what a person reported. Pure Python, no Rasa.

Findings are a mapping of finding name to answer ("yes", "no", "unsure"; for
duration "short", "long", "unsure"). Details are extra words the language
pipeline picked out ("caffeine", "tremor", ...): they refine causes; a few
(knowledge.yml: detail_levels) also call for a level.
"""

from dataclasses import dataclass, field
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import yaml

KNOWLEDGE_FILE = Path(__file__).with_name("knowledge.yml")
YES_NO_UNSURE = ("yes", "no", "unsure")


@dataclass(frozen=True)
class Assessment:
    level: str
    causes: List[str]
    reasons: List[str]  # what pointed where, in plain words
    reassurances: List[str]  # what argued against the worrying causes
    electrolyte_hints: List[str]
    next_question: Optional[str]  # None when the picture is complete
    details: Tuple[str, ...] = ()

    @property
    def concluded(self) -> bool:
        return self.next_question is None


@dataclass
class Knowledge:
    levels: Dict[str, dict]
    causes: Dict[str, dict]
    findings: Dict[str, dict]
    combinations: List[dict]
    details: Dict[str, str]
    detail_levels: Dict[str, str]
    detail_clues: Dict[str, Dict[str, float]]
    electrolyte_hints: Dict[str, dict]
    advice: Dict[str, Any]  # knowledge.yml's advice: texts, lists of texts, texts per group
    question_groups: Dict[str, dict] = field(default_factory=dict)
    group_wording: Dict[str, str] = field(default_factory=dict)
    level_rank: Dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        # levels are listed most urgent first
        names = list(self.levels)
        self.level_rank = {name: len(names) - i for i, name in enumerate(names)}

    def answers(self, finding: str) -> Tuple[str, ...]:
        return tuple(self.findings[finding].get("answers", YES_NO_UNSURE))

    def asked_findings(self) -> List[str]:
        return [name for name, spec in self.findings.items() if spec.get("ask", True)]

    def red_flags(self) -> List[str]:
        """Findings whose answer alone can call for same-day help or more."""
        urgent = self.level_rank["urgent"]
        return [
            name
            for name, spec in self.findings.items()
            if any(self.level_rank[lvl] >= urgent for lvl in spec.get("level", {}).values())
        ]


class _KnowledgeLoader(yaml.SafeLoader):
    """YAML 1.1 reads yes/no as booleans; in this file they are answers."""


_KnowledgeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_KnowledgeLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


@lru_cache(maxsize=None)
def load_knowledge(path: Path = KNOWLEDGE_FILE) -> Knowledge:
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_KnowledgeLoader)
    return Knowledge(
        levels=data["levels"],
        causes=data["causes"],
        findings=data["findings"],
        combinations=data.get("combinations", []),
        details=data.get("details", {}),
        detail_levels=data.get("detail_levels", {}),
        detail_clues=data.get("detail_clues", {}),
        electrolyte_hints=data.get("electrolyte_hints", {}),
        advice=data["advice"],
        question_groups=data.get("question_groups", {}),
        group_wording=data.get("group_wording", {}),
    )


def _clean(findings: Optional[Mapping[str, Optional[str]]], kb: Knowledge) -> Dict[str, str]:
    """Keeps known findings with valid answers; anything else counts as not asked."""
    return {
        name: answer for name, answer in (findings or {}).items() if name in kb.findings and answer in kb.answers(name)
    }


def _clean_details(details: Optional[Iterable[str]], kb: Knowledge) -> Tuple[str, ...]:
    """Keeps known details once each, in order; anything else is ignored."""
    return tuple(dict.fromkeys(d for d in (details or ()) if isinstance(d, str) and d in kb.details))


def triage_level(findings: Mapping[str, str], kb: Knowledge, details: Iterable[str] = ()) -> str:
    """The most urgent level any answer, combination or detail calls for."""
    levels = ["self_care"] + [kb.detail_levels[d] for d in details if d in kb.detail_levels]
    for name, answer in findings.items():
        level = kb.findings[name].get("level", {}).get(answer)
        if level:
            levels.append(level)
    for combination in kb.combinations:
        if _combination_holds(combination, findings, details):
            levels.append(combination["level"])
    return max(levels, key=kb.level_rank.__getitem__)


def _combination_holds(combination: Mapping, findings: Mapping[str, str], details: Iterable[str]) -> bool:
    present = set(details)
    if not (
        all(findings.get(name) in answers for name, answers in combination["when"].items())
        and all(detail in present for detail in combination.get("details", ()))
    ):
        return False
    unless = combination.get("unless_only_details")
    if unless and all(findings.get(name) in answers for name, answers in unless.get("when", {}).items()):
        named = present & set(unless["among"])
        if named and named <= set(unless["details"]):
            return False  # e.g. the only fluid loss is sweating, read as a thyroid sign
    return True


def _cause_scores(findings: Mapping[str, str], details: Iterable[str], kb: Knowledge) -> Dict[str, float]:
    scores = {cause: float(spec.get("prior", 0)) for cause, spec in kb.causes.items()}
    detail_set = set(details)
    for detail in detail_set & set(kb.detail_clues):
        for cause, points in kb.detail_clues[detail].items():
            scores[cause] += points
    for name, answer in findings.items():
        spec = kb.findings[name]
        for cause, points in spec.get("clues", {}).get(answer, {}).items():
            scores[cause] += points
        if answer == "yes":
            for detail in detail_set & set(spec.get("detail_clues", {})):
                for cause, points in spec["detail_clues"][detail].items():
                    scores[cause] += points
    return scores


def rank_causes(findings: Mapping[str, str], details: Iterable[str], level: str, kb: Knowledge) -> List[str]:
    scores = _cause_scores(findings, details, kb)
    tie_order = list(kb.causes)
    ranked = sorted(
        (cause for cause, score in scores.items() if score >= 1),
        key=lambda cause: (-scores[cause], tie_order.index(cause)),
    )
    if not kb.levels[level].get("show_benign", True):
        ranked = [cause for cause in ranked if cause != "benign"]
    elif kb.levels[level].get("benign_after_clues_of") is not None and "benign" in ranked:
        clued = [c for c in ranked if c != "benign" and scores[c] >= kb.levels[level]["benign_after_clues_of"]]
        ranked = clued + [c for c in ranked if c not in clued]
    elif not kb.levels[level].get("benign_first", True) and ranked[:1] == ["benign"]:
        others = [cause for cause in ranked if cause != "benign"]
        if not others:  # something is named ahead of "harmless", as the level asks
            others = [kb.levels[level].get("lead_when_unclear") or next(c for c in tie_order if c != "benign")]
        ranked = others + ["benign"]
    return ranked


def _electrolyte_hints(findings: Mapping[str, str], details: Iterable[str], kb: Knowledge) -> List[str]:
    signals = {name for name, answer in findings.items() if answer == "yes"} | set(details)
    return [
        hint
        for hint, spec in kb.electrolyte_hints.items()
        if sum(points for signal, points in spec["points"].items() if signal in signals) >= spec["min"]
    ]


def _outcome(findings: Mapping[str, str], details: Iterable[str], kb: Knowledge) -> Tuple[str, Optional[str]]:
    level = triage_level(findings, kb, details)
    causes = rank_causes(findings, details, level, kb)
    return level, causes[0] if causes else None


def _could_raise_level(
    findings: Mapping[str, str], name: str, level: str, kb: Knowledge, details: Iterable[str] = ()
) -> bool:
    """Whether some answer to `name`, alone or completing a combination whose other
    findings are still open (or already fit it), would make the level more urgent.

    Looking one answer ahead is not enough for combinations: with thyroid signs
    already making it 'soon', neither cramps nor palpitations alone changes anything,
    yet both together call for 'urgent', so each must be asked.
    """
    rank = kb.level_rank[level]
    for answer in kb.answers(name):
        if kb.level_rank.get(kb.findings[name].get("level", {}).get(answer), 0) > rank:
            return True
    present = set(details)
    for combination in kb.combinations:
        when = combination["when"]
        if name not in when or kb.level_rank[combination["level"]] <= rank:
            continue
        if not all(detail in present for detail in combination.get("details", ())):
            continue
        if all(other == name or findings.get(other, answers[0]) in answers for other, answers in when.items()):
            # It matters only if the rest of the combination does not reach that level
            # without it (palpitations with fluid losses are urgent, cramps or not).
            rest = {
                **findings,
                **{other: answers[0] for other, answers in when.items() if other != name and other not in findings},
            }
            least = min(kb.level_rank[triage_level({**rest, name: answer}, kb, present)] for answer in kb.answers(name))
            if least < kb.level_rank[combination["level"]]:
                return True
    return False


def next_question(
    findings: Optional[Mapping[str, Optional[str]]],
    details: Optional[Iterable[str]] = (),
    kb: Optional[Knowledge] = None,
) -> Optional[str]:
    """The first unanswered finding whose answer could still change the advice.

    Emergency and urgent levels end the questions. Otherwise a finding is worth
    asking when some answer to it could make the level more urgent (on its own or
    with the rest of a combination still open), or would change the most likely cause.
    """
    kb = kb or load_knowledge()
    findings = _clean(findings, kb)
    details = _clean_details(details, kb)
    level, top_cause = _outcome(findings, details, kb)
    if kb.level_rank[level] >= kb.level_rank["urgent"]:
        return None
    for name in kb.asked_findings():
        if name not in findings and _worth_asking(findings, details, name, level, top_cause, kb):
            return name
    return None


def _worth_asking(
    findings: Mapping[str, str],
    details: Tuple[str, ...],
    name: str,
    level: str,
    top_cause: Optional[str],
    kb: Knowledge,
) -> bool:
    if _could_raise_level(findings, name, level, kb, details):
        return True
    return any(_outcome({**findings, name: answer}, details, kb) != (level, top_cause) for answer in kb.answers(name))


def next_questions(
    findings: Optional[Mapping[str, Optional[str]]],
    details: Optional[Iterable[str]] = (),
    kb: Optional[Knowledge] = None,
) -> Tuple[Optional[str], List[str]]:
    """The next question as (group name, findings it asks about), or (None, [finding]) for a
    single question, or (None, []) when the picture is complete.

    The group is that of next_question's finding, listing only its members that are still
    open and worth asking; a group left with one member is asked as that member alone.
    """
    kb = kb or load_knowledge()
    first = next_question(findings, details, kb)
    if first is None:
        return None, []
    clean, clean_details = _clean(findings, kb), _clean_details(details, kb)
    level, top_cause = _outcome(clean, clean_details, kb)
    for group, spec in kb.question_groups.items():
        if first in spec["findings"]:
            members = [
                name
                for name in spec["findings"]
                if name not in clean and _worth_asking(clean, clean_details, name, level, top_cause, kb)
            ]
            if len(members) > 1:
                return group, members
    return None, [first]


def assess(
    findings: Optional[Mapping[str, Optional[str]]],
    details: Optional[Iterable[str]] = (),
    kb: Optional[Knowledge] = None,
) -> Assessment:
    kb = kb or load_knowledge()
    findings = _clean(findings, kb)
    details = _clean_details(details, kb)
    level = triage_level(findings, kb, details)
    causes = rank_causes(findings, details, level, kb)

    reasons, reassurances = [], []
    for name, answer in findings.items():
        said = kb.findings[name].get("said", {}).get(answer)
        if not said:
            continue
        if answer == "no":
            reassurances.append(said)
        else:
            reasons.append(said)
    for combination in kb.combinations:
        if _combination_holds(combination, findings, details):
            reasons.append(combination["said"])
    named_details = [kb.details[d] for d in details]
    if named_details:
        reasons.append("you mentioned " + _join(named_details))

    hints = _electrolyte_hints(findings, details, kb) if "electrolyte" in causes else []
    return Assessment(
        level=level,
        causes=causes,
        reasons=reasons,
        reassurances=reassurances,
        electrolyte_hints=hints,
        next_question=next_question(findings, details, kb),
        details=details,
    )


def red_flag_level(
    findings: Mapping[str, Optional[str]], kb: Optional[Knowledge] = None, details: Optional[Iterable[str]] = ()
) -> Optional[str]:
    """The level when the answers so far already call for same-day help, else None."""
    kb = kb or load_knowledge()
    level = triage_level(_clean(findings, kb), kb, _clean_details(details, kb))
    return level if kb.level_rank[level] >= kb.level_rank["urgent"] else None


def merge_answers(
    previous: Optional[str], new: Optional[str], finding: str, kb: Optional[Knowledge] = None
) -> Optional[str]:
    """Combines an earlier answer with a new one for the same finding.

    The newest answer wins, except that a red flag once reported stays reported:
    a later "no" never silently clears a danger sign.
    """
    kb = kb or load_knowledge()
    if previous == "yes" and finding in kb.red_flags() and new != "yes":
        return "yes"
    return new


def _join(words: List[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def most_cautious(finding: str, answers: Iterable[str], kb: Optional[Knowledge] = None) -> Optional[str]:
    """Of several answers to one finding in one message, the one calling for most care."""
    kb = kb or load_knowledge()
    if finding not in kb.findings:
        return None
    levels = kb.findings[finding].get("level", {})
    valid = [a for a in (answers or ()) if a in kb.answers(finding)]
    if not valid:
        return None
    caution = {"yes": 2, "unsure": 1, "long": 2}
    return max(valid, key=lambda a: (kb.level_rank[levels.get(a, "self_care")], caution.get(a, 0)))


def duration_answer(days: float, kb: Optional[Knowledge] = None) -> str:
    """The duration answer ("short" or "long") for a stated number of days."""
    kb = kb or load_knowledge()
    return "long" if days >= kb.findings["duration"]["long_from_days"] else "short"
