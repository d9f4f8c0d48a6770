"""The synthetic city generator (devtools.synth) and its commands synth_city and seed_demo."""
import datetime as dt
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from claims.models import FeeLine, Upload, Visit, VisitStatus
from devtools.synth import CitySpec, day, reference
from devtools.synth.arrays import certno_check_digits
from devtools.synth.reference import make_catalog
from devtools.synth.vocabulary import CHILD_WORDS, FEMALE_WORDS, MALE_WORDS
from insurance.models import (
    BASIC_INSUTYPES,
    Enrollment,
    Institution,
    InstitutionKind,
    Person,
    PersonalAccount,
    PsnType,
)
from insurance.validators import certno_birth_date, certno_check_digit, certno_gender, validate_certno
from policy_rules.models import CatalogItem, PolicyVersion

DAY = dt.date(2026, 3, 16)
SMALL = ["--persons", "3000", "--institutions", "40", "--days", "2", "--lines-per-day", "4000", "--seed", "11",
         "--start-date", DAY.isoformat(), "--catalog-items", "400"]


def test_vectorized_check_digits_match_the_validator():
    rng = np.random.default_rng(1)
    first17 = np.array(["".join(map(str, row)) for row in rng.integers(0, 10, (2000, 17))])
    assert list(certno_check_digits(first17)) == [certno_check_digit(s) for s in first17]
    assert "X" in set(certno_check_digits(first17))  # the check character 10 is written X


def test_the_same_seed_gives_the_same_city_and_another_seed_another():
    def build(seed):
        spec = CitySpec(persons=500, institutions=12, start_date=DAY, days=2, lines_per_day=1500, seed=seed,
                        catalog_items=100)
        ref = reference(spec)
        return ref, [day(spec, ref, n) for n in range(spec.days)]

    (ref_a, days_a), (ref_b, days_b), (ref_c, _) = build(5), build(5), build(6)
    for a, b in ((ref_a.persons, ref_b.persons), (ref_a.institutions, ref_b.institutions),
                 (ref_a.catalog, ref_b.catalog)):
        pd.testing.assert_frame_equal(a, b)
    for a, b in zip(days_a, days_b, strict=True):
        pd.testing.assert_frame_equal(a.visits, b.visits)
        pd.testing.assert_frame_equal(a.lines, b.lines)
        pd.testing.assert_frame_equal(a.uploads, b.uploads)
    assert not ref_a.persons["certno"].equals(ref_c.persons["certno"])
    # a day does not depend on the days before it
    spec = CitySpec(persons=500, institutions=12, start_date=DAY, days=2, lines_per_day=1500, seed=5,
                    catalog_items=100)
    pd.testing.assert_frame_equal(day(spec, ref_a, 1).lines, days_a[1].lines)


def test_lines_per_day_is_exact_and_visits_have_realistic_shapes():
    spec = CitySpec(persons=5000, institutions=50, start_date=DAY, lines_per_day=30_000, seed=3, catalog_items=500)
    ref = reference(spec)
    d = day(spec, ref, 0)
    assert len(d.lines) == 30_000
    per_visit = d.lines.groupby("visit").size()
    assert per_visit.min() >= 1 and 8 <= per_visit.mean() <= 12  # about ten lines a visit
    inpatient = d.visits["med_type"].to_numpy() == "21"
    assert per_visit[inpatient].mean() > 5 * per_visit[~inpatient].mean()
    assert set(d.visits["med_type"]) == {"11", "14", "21"}
    # the amount of a line is cnt × pric rounded half up to the fen
    exact = d.lines["cnt_e4"].to_numpy() * d.lines["pric_e4"].to_numpy()
    assert (d.lines["amount_fen"].to_numpy() * 1_000_000 - exact <= 500_000).all()
    assert (exact - d.lines["amount_fen"].to_numpy() * 1_000_000 < 500_000).all()
    # some lines charge the same item twice at the same time
    keys = d.lines.assign(mdtrt=d.visits["mdtrt_id"].to_numpy()[d.lines["visit"]])
    assert keys.duplicated(["mdtrt", "med_list_codg", "fee_ocur_time", "cnt_e4", "pric_e4"]).any()


@pytest.fixture
def city(db):
    out = StringIO()
    call_command("synth_city", *SMALL, stdout=out)
    return out.getvalue()


def test_synth_city_writes_the_city(city):
    assert connection.vendor == "postgresql"
    assert "wrote 3,000 persons" in city
    assert Person.objects.count() == Enrollment.objects.count() == PersonalAccount.objects.count() == 3000
    assert Institution.objects.count() == 40 and CatalogItem.objects.count() == 400
    assert FeeLine.objects.count() == 8000
    assert PolicyVersion.objects.active().covering(DAY).exists()  # the demo pack was imported


def test_certnos_are_valid_unique_and_agree_with_the_person(city):
    rows = list(Person.objects.values_list("certno", "gender", "birth_date"))
    assert len({c for c, _, _ in rows}) == len(rows)
    for certno, gender, birth in rows:
        validate_certno(certno)
        assert certno_birth_date(certno) == birth and certno_gender(certno) == gender


def test_every_level_insutype_psn_type_and_assistance_category_is_there(city):
    assert set(Institution.objects.filter(kind=InstitutionKind.HOSPITAL).values_list("level", flat=True)) == {
        0, 1, 2, 3}
    assert Institution.objects.filter(kind=InstitutionKind.PHARMACY).exists()
    assert Institution.objects.filter(designated=False).exists() or Institution.objects.count() < 100
    # the basic ones: the demo pack has none of the project's layers (docs/benefit-layers.md), so no parallel ones
    assert set(Enrollment.objects.values_list("insutype", flat=True)) == set(BASIC_INSUTYPES)
    assert set(Enrollment.objects.values_list("psn_type", flat=True)) == set(PsnType.values)
    assert {"tekun", "dibao", "dibian"} <= set(Enrollment.objects.values_list("assistance_category", flat=True))
    assert set(CatalogItem.objects.values_list("chrg_lv", flat=True)) == {"01", "02", "03"}
    assert CatalogItem.objects.filter(price_limit__isnull=False).exists()
    assert CatalogItem.objects.exclude(restrict_gender="").exists()
    assert CatalogItem.objects.filter(restrict_min_level__isnull=False).exists()
    assert CatalogItem.objects.filter(restrict_med_types=["21"]).exists()
    # national code shapes: Western drugs X + 22, services 9 or 15 digits, consumables C + 19
    codes = list(CatalogItem.objects.values_list("list_type", "med_list_codg"))
    assert all(len(c) == 23 and c[0] in "XZ" for t, c in codes if t == "drug")
    assert all(c.isdigit() and len(c) in (9, 15) for t, c in codes if t == "service")
    assert all(len(c) == 20 and c[0] == "C" for t, c in codes if t == "consumable")


def test_amounts_are_cnt_times_pric_to_the_fen(city):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_feeline WHERE det_item_fee_sumamt <> round(cnt * pric, 2)")
        assert cursor.fetchone()[0] == 0
        # some lines exceed their item's price limit, some break a restriction of their item
        cursor.execute("SELECT count(*) FROM claims_feeline f JOIN policy_rules_catalogitem c "
                       "ON c.med_list_codg = f.med_list_codg WHERE f.pric > c.price_limit")
        assert cursor.fetchone()[0] > 0
        cursor.execute("SELECT count(*) FROM claims_feeline f JOIN claims_visit v ON v.id = f.visit_id "
                       "JOIN insurance_person p ON p.id = v.person_id JOIN policy_rules_catalogitem c "
                       "ON c.med_list_codg = f.med_list_codg WHERE c.restrict_gender NOT IN ('', p.gender)")
        assert cursor.fetchone()[0] > 0


def test_each_days_visits_are_discharged_and_uploaded_that_day(city):
    for n in range(2):
        date = DAY + dt.timedelta(days=n)
        start = timezone.make_aware(dt.datetime.combine(date, dt.time.min))
        end = start + dt.timedelta(days=1)
        visits = Visit.objects.filter(mdtrt_id__startswith=f"M{date:%Y%m%d}")
        assert visits.exists()
        assert not visits.exclude(status=VisitStatus.DISCHARGED).exists()
        assert not visits.exclude(endtime__gte=start, endtime__lt=end).exists()
        lines = FeeLine.objects.filter(visit__in=visits)
        assert lines.count() == 4000
        assert not lines.exclude(upload__created_at__gte=start, upload__created_at__lt=end).exists()
        assert not visits.filter(begntime__gt=F("endtime")).exists()
    uploads = Upload.objects.all()
    assert sum(uploads.values_list("line_count", flat=True)) == FeeLine.objects.count()


def test_the_same_seed_writes_the_same_rows(db):
    def snapshot():
        return (
            list(Person.objects.order_by("psn_no").values_list("psn_no", "certno", "name", "gender", "birth_date",
                                                                "account__balance")),
            list(Visit.objects.order_by("mdtrt_id").values_list("mdtrt_id", "person__psn_no",
                                                                 "institution__fixmedins_code", "med_type",
                                                                 "begntime", "endtime")),
            list(FeeLine.objects.order_by("visit__mdtrt_id", "feedetl_sn").values_list(
                "visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt",
                "fee_ocur_time")),
        )

    shots = []
    for _ in range(2):
        with transaction.atomic():
            call_command("synth_city", *SMALL, stdout=StringIO())
            shots.append(snapshot())
            transaction.set_rollback(True)
    assert shots[0] == shots[1] and len(shots[0][2]) == 8000


def test_synth_city_refuses_a_database_with_persons(city):
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="already has persons"):
        call_command("synth_city", *SMALL, stdout=StringIO())


def test_seed_demo_is_the_generator_with_small_sizes_and_idempotent(db):
    out = StringIO()
    call_command("seed_demo", "--date", DAY.isoformat(), "--persons", "300", stdout=out)
    assert "600 visits" in out.getvalue()
    assert Person.objects.count() == 300 and Visit.objects.count() == 600
    again = StringIO()
    call_command("seed_demo", "--date", DAY.isoformat(), stdout=again)
    assert "already has persons" in again.getvalue()
    assert Person.objects.count() == 300


def test_gender_and_age_restrictions_only_on_plausible_items():
    """Women only: gynaecology, obstetrics, female hormones; men only: prostate; up to 14: paediatric items;
    from 18: quinolones. Amoxicillin and the like are never restricted by gender or age."""
    catalog = make_catalog(CitySpec(persons=10, institutions=5, start_date=DAY, visits_per_day=5))

    def named(words):
        return catalog["name"].map(lambda n: any(w in n for w in words))

    assert set(catalog.loc[catalog["restrict_gender"] == "2", "name"]) == set(catalog.loc[named(FEMALE_WORDS), "name"])
    assert set(catalog.loc[catalog["restrict_gender"] == "1", "name"]) == set(catalog.loc[named(MALE_WORDS), "name"])
    assert (catalog.loc[catalog["restrict_max_age"] >= 0, "name"].map(lambda n: any(w in n for w in CHILD_WORDS))).all()
    assert (catalog.loc[catalog["restrict_min_age"] >= 0, "name"].str.contains("左氧氟沙星")).all()
    amoxicillin = catalog[catalog["name"].str.contains("阿莫西林")]
    assert len(amoxicillin) and (amoxicillin["restrict_gender"] == "").all()
    assert ((amoxicillin["restrict_min_age"] < 0) & (amoxicillin["restrict_max_age"] < 0)).all()
    assert (catalog["restrict_gender"] == "2").any() and (catalog["restrict_max_age"] >= 0).any()
