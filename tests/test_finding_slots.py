"""The domain's findings (entities, slots, the form) are the knowledge file's."""

import yaml

from scripts.build_finding_slots import OUT, render
from triage.vocabulary import CONTRACT_FINDINGS


def test_domain_findings_are_up_to_date_with_the_knowledge_file():
    assert OUT.read_text() == render(), "run `python -m scripts.build_finding_slots` (make train does)"


def test_every_contract_finding_is_an_entity_a_slot_and_asked_by_the_form():
    domain = yaml.safe_load(OUT.read_text())
    asked = domain["forms"]["triage_form"]["required_slots"]
    for finding in CONTRACT_FINDINGS:
        assert finding in domain["entities"] and finding in domain["slots"] and finding in asked, finding
