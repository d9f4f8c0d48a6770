"""The night agrees with the counter for the project's layers (docs/benefit-layers.md): each project case file
with a stored layer (civil-servant subsidy, veterans, maternity) replayed through the nightly job stores the same
settlements, to the fen, as the services settling its visits one by one, and both match the file."""
import json
from pathlib import Path

import pytest

from claims.models import Settlement
from tests.claims.batch.test_night_agrees import night_agrees_with_counter

PROJECT_CASES = Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "cases"
# 门慢特 (chronic-diseases.json) joins once its qualifications are stored (policy_rules.services.NOT_YET_STORED)
STORED_LAYERS = {"civil-servant.json": "cvlserv_pay", "veterans.json": "oth_pay", "maternity.json": "matn_alwn_amt"}


def project_doc(name: str) -> dict:
    return json.loads((PROJECT_CASES / name).read_text(encoding="utf-8"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(STORED_LAYERS))
def test_a_project_case_file_settles_the_same_at_night_as_at_the_counter(settings, name):
    night_agrees_with_counter(settings, project_doc(name))
    # the layer's own amount is stored (not only its effect on the totals)
    assert any(getattr(s, STORED_LAYERS[name]) > 0 for s in Settlement.objects.all())
