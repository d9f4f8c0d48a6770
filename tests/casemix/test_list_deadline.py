"""The list deadline's selector (casemix.deadlines) and parameter (DipYearParameters.list_deadline_days):
which settlements miss their list, their due dates and days overdue, most overdue first, per region or
institution; the parameter validated at the edge (the importer's params JSON, the demo's file)."""
import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings

from casemix.deadlines import missing_lists, queue_counts
from casemix.importer import set_year_parameters
from casemix.models import DipYearParameters
from claims.errors import ServiceError

from .deadline_world import PARAMS, TODAY, DeadlineWorld


class MissingListsTests(DeadlineWorld):
    def rows(self, **kwargs):
        return [(s.setl_id, s.institution.fixmedins_code, s.deadline_days, s.due_date, s.days_overdue)
                for s in missing_lists(today=TODAY, **kwargs)]

    def test_the_queue_has_the_due_dates_most_overdue_first(self):
        a, b = self.w.inst_a.fixmedins_code, self.w.inst_b.fixmedins_code
        assert self.rows() == [
            ("m1", a, 7, dt.date(2026, 3, 17), 3),
            ("m4", b, 7, dt.date(2026, 3, 20), 0),
            ("m3", b, 7, dt.date(2026, 3, 21), -1),
            ("m2", a, 7, dt.date(2026, 3, 25), -5),
        ]
        assert queue_counts(missing_lists(today=TODAY)) == {"missing": 4, "overdue": 1}

    def test_one_institution_or_one_region(self):
        assert [r[0] for r in self.rows(institution_id=self.w.inst_b.pk)] == ["m4", "m3"]
        assert [r[0] for r in self.rows(region="410800")] == ["m1", "m4", "m3", "m2"]
        assert self.rows(region="410100") == []  # no DIP parameters there

    def test_the_latest_parameters_set_the_days(self):
        set_year_parameters(region="410800", year=2026, doc={**PARAMS, "list_deadline_days": 10})
        assert self.rows()[0] == ("m1", self.w.inst_a.fixmedins_code, 10, dt.date(2026, 3, 20), 0)
        assert queue_counts(missing_lists(today=TODAY)) == {"missing": 4, "overdue": 0}

    def test_an_uploaded_list_leaves_the_queue(self):
        body = {**self.good_body(), "oprninfo": []}
        response = self.client.post("/api/v1/settlements/m1/setl-list/", body, format="json")
        assert response.status_code == 201, response.content
        assert [r[0] for r in self.rows()] == ["m4", "m3", "m2"]

    def good_body(self):
        return {"dscg_way": "1", "chfpdr_code": "D110001",
                "diseinfo": [{"diag_code": "E11.900", "diag_name": "2型糖尿病", "maindiag_flag": "1"}]}


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["7", -1, 366, True, 7.5])
def test_a_bad_deadline_is_refused_naming_the_field(bad):
    with pytest.raises(ServiceError) as caught:
        set_year_parameters(region="410800", year=2026, doc={**PARAMS, "list_deadline_days": bad})
    assert [e["field"] for e in caught.value.errors] == ["list_deadline_days"]
    assert not DipYearParameters.objects.exists()


@pytest.mark.django_db
def test_the_default_and_the_demo_file():
    assert set_year_parameters(region="410800", year=2026, doc=PARAMS).list_deadline_days == 7
    doc = json.loads((Path(settings.BASE_DIR) / "casemix/fixtures/demo-dip-params-2026.json").read_text())
    row = set_year_parameters(region="410800", year=2026, doc=doc)
    assert row.list_deadline_days == doc["list_deadline_days"] == 7
    assert set_year_parameters(region="410800", year=2026, doc={**PARAMS, "list_deadline_days": 0}).list_deadline_days == 0
