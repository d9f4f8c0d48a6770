"""The list-deadline world (casemix.deadlines): region 410800's DIP parameters of 2026 (7 days) and inpatient
settlements of March 2026 without a list at both hospitals, seen on 20 March 2026; next to them settlements the
queue must not list (a list uploaded, outpatient, cancelled, a region or year without DIP parameters)."""
import datetime as dt

from casemix.importer import set_year_parameters
from tests.api.base import APITestBase, make_person
from tests.factories import InstitutionFactory, local_dt
from tests.fund_budget.conftest import make_settlement, reverse

from .helpers import good_list, inpatient_settlement

TODAY = dt.date(2026, 3, 20)
PARAMS = {"low": "0.5", "high": "2", "coef": {"3": "1.00", "2": "0.90"}, "budget": "30900.00"}


def settled(institution, setl_id, when, person=None, **kwargs):
    """An inpatient settlement at `when` (a stay of the six days before)."""
    return inpatient_settlement(institution, person or make_person(f"P-{setl_id}"), setl_id=setl_id,
                                begntime=when - dt.timedelta(days=6), endtime=when, **kwargs)


def build_deadline_world(w, client_a) -> None:
    """The parameters and the settlements of `w` (tests.api.base.build_world); client_a is H1's API client."""
    set_year_parameters(region="410800", year=2026, doc=PARAMS)  # list_deadline_days: the default 7
    # m1: settled 10 March, due 17 March: 3 days overdue; m2: 18 March, due 25 March: 5 days left
    settled(w.inst_a, "m1", local_dt(2026, 3, 10, 10))
    settled(w.inst_a, "m2", local_dt(2026, 3, 18, 10))
    # m3: 00:30 on 14 March local time (16:30 UTC on the 13th): the local date counts, due 21 March
    settled(w.inst_b, "m3", local_dt(2026, 3, 14, 0, 30))
    # m4: 13 March, due today (20 March): not yet overdue
    settled(w.inst_b, "m4", local_dt(2026, 3, 13, 9))
    # not in the queue: a list uploaded; outpatient; cancelled; another region; a year without parameters
    listed = settled(w.inst_a, "x-listed", local_dt(2026, 3, 2, 10))
    response = client_a.post(f"/api/v1/settlements/{listed.setl_id}/setl-list/", good_list(
        oprninfo=[{**good_list()["oprninfo"][0], "oprn_oprt_date": "2026-02-25"}]), format="json")
    assert response.status_code == 201, response.content
    make_settlement(w.inst_a, local_dt(2026, 3, 5, 10), person=make_person("P-x-outpatient"),
                    policy=w.policy_2026, hifp="100.00", med_type="11")
    cancelled = settled(w.inst_a, "x-cancelled", local_dt(2026, 3, 6, 10))
    reverse(cancelled, local_dt(2026, 3, 7, 10))
    elsewhere = InstitutionFactory(fixmedins_code="H41010000009", name="外市医院", level=3, region="410100")
    settled(elsewhere, "x-elsewhere", local_dt(2026, 3, 8, 10))
    settled(w.inst_a, "x-2025", local_dt(2025, 12, 20, 10))


class DeadlineWorld(APITestBase):
    def setUp(self):
        super().setUp()
        build_deadline_world(self.w, self.client)
