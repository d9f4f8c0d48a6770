"""policy_rules models: catalog items and policy versions; the policy look-up service."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from policy_rules.models import CatalogItem, PolicyStatus, PolicyVersion
from policy_rules.services import policy_in_force
from tests.factories import CatalogItemFactory, PolicyVersionFactory, SettlementFactory

pytestmark = pytest.mark.django_db

D = datetime.date


# --- CatalogItem ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"selfpay_prop": Decimal("1.5")}, "selfpay_prop_0_1"),
        ({"selfpay_prop": Decimal("-0.1")}, "selfpay_prop_0_1"),
        ({"price_limit": Decimal("-1")}, "price_limit_gte_0"),
        ({"chrg_lv": "04"}, "chrg_lv"),
        ({"restrict_gender": "3"}, "restrict_gender"),
        ({"restrict_min_level": 4}, "restrict_min_level_0_3"),
        ({"restrict_min_age": 18, "restrict_max_age": 14}, "age_range"),
        ({"effective_to": D(2025, 12, 31)}, "period"),
    ],
)
def test_catalog_item_check_constraints(fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        CatalogItemFactory(**fields)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"selfpay_prop": Decimal("1.5")}, "selfpay_prop"),
        ({"selfpay_prop": Decimal("0.12345")}, "selfpay_prop"),
        ({"price_limit": Decimal("-1")}, "price_limit"),
        ({"chrg_lv": "04"}, "chrg_lv"),
        ({"list_type": "food"}, "list_type"),
        ({"restrict_gender": "3"}, "restrict_gender"),
        ({"restrict_min_level": 4}, "restrict_min_level"),
        ({"restrict_min_age": 18, "restrict_max_age": 14}, "restrict_max_age"),
        ({"restrict_med_types": "21"}, "restrict_med_types"),
        ({"restrict_med_types": ["21", "inpatient"]}, "restrict_med_types"),
        ({"restrict_med_types": [21]}, "restrict_med_types"),
        ({"effective_to": D(2025, 12, 31)}, "effective_to"),
        ({"med_list_codg": ""}, "med_list_codg"),
    ],
)
def test_catalog_item_bad_inputs_name_the_field(fields, field):
    item = CatalogItemFactory.build(**fields)
    with pytest.raises(ValidationError) as exc:
        item.full_clean()
    assert field in exc.value.message_dict


def test_catalog_item_with_every_restriction_is_valid():
    item = CatalogItemFactory.build(
        chrg_lv="02", selfpay_prop=Decimal("0.2"), price_limit=Decimal("1398.0000"), restrict_gender="2",
        restrict_min_age=0, restrict_max_age=14, restrict_min_level=2, restrict_med_types=["21", "51"],
    )
    item.full_clean()
    item.save()
    item.refresh_from_db()
    assert item.restrict_med_types == ["21", "51"]
    assert item.selfpay_prop == Decimal("0.2000")


def test_catalog_code_and_start_date_are_unique_together():
    CatalogItemFactory(med_list_codg="XA01", effective_from=D(2026, 1, 1), effective_to=D(2026, 6, 30))
    CatalogItemFactory(med_list_codg="XA01", effective_from=D(2026, 7, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogItemFactory(med_list_codg="XA01", effective_from=D(2026, 7, 1))
    with pytest.raises(ValidationError) as exc:
        CatalogItemFactory.build(med_list_codg="XA01", effective_from=D(2026, 7, 1)).full_clean()
    assert exc.value.messages


def test_effective_on_picks_the_version_in_force():
    first = CatalogItemFactory(med_list_codg="XA01", effective_from=D(2026, 1, 1), effective_to=D(2026, 6, 30))
    second = CatalogItemFactory(med_list_codg="XA01", effective_from=D(2026, 7, 1))
    later = CatalogItemFactory(med_list_codg="XB02", effective_from=D(2027, 1, 1))

    def on(day):
        return set(CatalogItem.objects.effective_on(day))

    assert on(D(2025, 12, 31)) == set()
    assert on(D(2026, 6, 30)) == {first}
    assert on(D(2026, 7, 1)) == {second}
    assert on(D(2027, 1, 1)) == {second, later}


# --- PolicyVersion -------------------------------------------------------------------------------

def test_policy_code_is_unique():
    PolicyVersionFactory(code="DEMO-2026")
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersionFactory(code="DEMO-2026")


def test_policy_period_and_status_are_checked():
    with pytest.raises(IntegrityError, match="period"), transaction.atomic():
        PolicyVersionFactory(effective_from=D(2026, 1, 1), effective_to=D(2025, 1, 1))
    with pytest.raises(IntegrityError, match="status"), transaction.atomic():
        PolicyVersionFactory(status="live")


@pytest.mark.parametrize(("fields", "field"), [({"region": "4108"}, "region"), ({"status": "live"}, "status"),
                                               ({"code": ""}, "code")])
def test_policy_bad_inputs_name_the_field(fields, field):
    with pytest.raises(ValidationError) as exc:
        PolicyVersionFactory.build(**fields).full_clean()
    assert field in exc.value.message_dict


def test_policy_used_by_a_settlement_cannot_be_deleted():
    settlement = SettlementFactory()
    with pytest.raises(ProtectedError):
        settlement.policy_version.delete()
    assert PolicyVersion.objects.filter(pk=settlement.policy_version_id).exists()


def test_policy_in_force_by_region_status_and_date():
    v2026 = PolicyVersionFactory(code="A-2026")
    v2027 = PolicyVersionFactory(code="A-2027", effective_from=D(2027, 1, 1), effective_to=None)
    PolicyVersionFactory(code="DRAFT-2026", status=PolicyStatus.DRAFT, region="410800")
    PolicyVersionFactory(code="B-2026", region="410900")
    assert policy_in_force("410800", D(2025, 12, 31)) is None
    assert policy_in_force("410800", D(2026, 12, 31)) == v2026
    assert policy_in_force("410800", D(2031, 5, 1)) == v2027
    assert policy_in_force("410900", D(2026, 5, 1)).code == "B-2026"
    assert policy_in_force("110000", D(2026, 5, 1)) is None


def test_policy_in_force_uses_the_local_date_of_a_settlement_time():
    PolicyVersionFactory(code="A-2025", effective_from=D(2025, 1, 1), effective_to=D(2025, 12, 31))
    PolicyVersionFactory(code="A-2026")
    # 2025-12-31 16:30 UTC is 2026-01-01 00:30 in Asia/Shanghai
    utc_time = datetime.datetime(2025, 12, 31, 16, 30, tzinfo=datetime.UTC)
    assert policy_in_force("410800", utc_time).code == "A-2026"
    assert policy_in_force("410800", datetime.datetime(2025, 12, 31, 23, 59)).code == "A-2025"


def test_policy_status_changes_are_tracked_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("pghistory triggers exist on PostgreSQL only")
    version = PolicyVersionFactory(status=PolicyStatus.DRAFT)
    version.status = PolicyStatus.ACTIVE
    version.save()
    assert list(version.events.order_by("pgh_id").values_list("pgh_label", "status")) == [
        ("insert", "draft"), ("update", "active"),
    ]


def test_catalog_changes_are_tracked_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("pghistory triggers exist on PostgreSQL only")
    item = CatalogItemFactory(price_limit=Decimal("40"))
    CatalogItem.objects.filter(pk=item.pk).update(price_limit=Decimal("45"))
    assert [e.price_limit for e in item.events.order_by("pgh_id")] == [Decimal("40.0000"), Decimal("45.0000")]
