"""Person look-up [1101] with the year's accumulations [5206]."""
import datetime as dt
from decimal import Decimal

from django.utils import timezone

from claims.models import Accumulator

from .base import APITestBase, certno_for, make_person

D = Decimal


SEARCH = "/api/v1/persons/search/"


class PersonLookupTests(APITestBase):
    def search(self, certno):
        """A search by identity number: POSTed, so the number never appears in a URL."""
        return self.client.post(SEARCH, {"certno": certno}, format="json")

    def test_lookup_by_psn_no_gives_status_balance_and_this_years_accumulations(self):
        year = timezone.localdate().year
        Accumulator.objects.bulk_create([
            Accumulator(person=self.w.employee, year=year, kind="cap_paid", key="employee_pool", amount=D("1920.64")),
            Accumulator(person=self.w.employee, year=year, kind="admissions", key="", amount=D("1")),
            Accumulator(person=self.w.employee, year=year - 1, kind="cap_paid", key="employee_pool",
                        amount=D("99999.00")),
        ])
        response = self.client.get("/api/v1/persons/P0001/")
        assert response.status_code == 200
        body = response.json()
        assert body["psn_no"] == "P0001" and body["psn_name"] == "张伟" and body["gend"] == "1"
        assert body["brdy"] == "1970-05-01"
        assert body["insuinfo"] == {"insutype": "310", "psn_type": "in_service", "enrolled_from": "2020-01-01",
                                    "enrolled_to": None, "paid_through": "2030-12", "assistance_category": ""}
        assert body["balc"] == "1200.00"
        assert body["year"] == year and body["as_of"] == timezone.localdate().isoformat()
        assert body["accumulations"] == [{"kind": "admissions", "key": "", "amount": "1.00"},
                                         {"kind": "cap_paid", "key": "employee_pool", "amount": "1920.64"}]

    def test_certno_is_masked_in_the_answer(self):
        certno = self.w.employee.certno
        body = self.client.get("/api/v1/persons/P0001/").json()
        assert body["certno"] == certno[:6] + "********" + certno[-4:]
        assert certno not in response_text(self.client.get("/api/v1/persons/P0001/"))

    def test_person_without_enrollment_in_force_or_account(self):
        body = self.client.get("/api/v1/persons/P0003/").json()
        assert body["insuinfo"] is None  # enrolled 2020-2021 only
        assert body["balc"] == "0.00"
        body = self.client.get("/api/v1/persons/P0002/").json()
        assert body["insuinfo"]["insutype"] == "390" and body["balc"] is None and body["accumulations"] == []

    def test_the_enrollment_in_force_today_is_the_one_shown(self):
        person = make_person("P0009", enrolled_from=dt.date(2019, 1, 1), enrolled_to=dt.date(2019, 12, 31))
        person.enrollments.create(insutype="390", psn_type="elderly", enrolled_from=dt.date(2020, 1, 1),
                                  paid_through="2030-12", assistance_category="dibao")
        body = self.client.get("/api/v1/persons/P0009/").json()
        assert body["insuinfo"]["psn_type"] == "elderly" and body["insuinfo"]["assistance_category"] == "dibao"

    def test_unknown_psn_no_is_404(self):
        self.assert_error(self.client.get("/api/v1/persons/P9999/"), 404, "NOT_FOUND")

    def test_any_institution_may_look_up_any_insured_person(self):
        response = self.other_client.get("/api/v1/persons/P0001/")
        assert response.status_code == 200 and response.json()["psn_no"] == "P0001"

    def test_search_by_full_certno(self):
        response = self.search(self.w.resident.certno)
        assert response.status_code == 200
        assert [p["psn_no"] for p in response.json()] == ["P0002"]

    def test_search_by_certno_with_lower_case_x_and_blanks(self):
        certno = next(c for c in (certno_for(dt.date(1990, 1, 1), n) for n in range(100)) if c.endswith("X"))
        make_person("P0010", birth=dt.date(1990, 1, 1), certno_seq=int(certno[14:17]))
        response = self.search(f" {certno.lower()} ")
        assert [p["psn_no"] for p in response.json()] == ["P0010"]

    def test_search_by_unknown_certno_is_an_empty_list(self):
        response = self.search(certno_for(dt.date(1991, 2, 3), 7))
        assert response.status_code == 200 and response.json() == []

    def test_search_requires_the_full_certno(self):
        certno = self.w.employee.certno
        self.assert_error(self.search(certno[:10]), 400, "CERTNO_INCOMPLETE",
                          field="certno")
        self.assert_error(self.search(certno[:-1] + "*"), 400,
                          "INVALID_CERTNO", field="certno")
        wrong_check = certno[:-1] + ("0" if certno[-1] != "0" else "1")
        self.assert_error(self.search(wrong_check), 400, "INVALID_CERTNO")
        self.assert_error(self.client.post(SEARCH, {}, format="json"), 400, "REQUIRED", field="certno")


def response_text(response) -> str:
    return response.content.decode("utf-8")
