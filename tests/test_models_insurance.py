"""insurance: identity-number validation, persons, enrollments, personal accounts, institutions."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from insurance.models import AccountMovement, Enrollment, MovementKind, Person
from insurance.validators import (
    certno_check_digit,
    normalize_certno,
    validate_certno,
    validate_fixmedins_code,
    validate_year_month,
)
from tests.factories import (
    AccountMovementFactory,
    EnrollmentFactory,
    InstitutionFactory,
    PersonalAccountFactory,
    PersonFactory,
    SettlementFactory,
    make_certno,
)

pytestmark = pytest.mark.django_db

VALID_X = "11010519491231002X"  # the standard's own example
VALID_DIGIT = "440524188001010014"


def codes(exc_info) -> list[str]:
    return [error.code for error in exc_info.value.error_list]


# --- validators -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("32010619990101123", "3")],
)
def test_check_digit_known_numbers(first17, check):
    assert certno_check_digit(first17) == check


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100A"])
def test_check_digit_needs_17_digits(bad):
    with pytest.raises(ValueError):
        certno_check_digit(bad)


@pytest.mark.parametrize("value", [VALID_X, VALID_DIGIT, VALID_X.lower(), f" {VALID_DIGIT} "])
def test_valid_certnos_pass(value):
    assert validate_certno(value) is None


def test_normalize_upper_cases_x():
    assert normalize_certno(" 11010519491231002x ") == VALID_X


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "certno_check_digit"),  # right shape, wrong check digit
        ("110105194902300028", "certno_birth_date"),  # 30 February
        ("110105194913310025", "certno_birth_date"),  # month 13
        ("110105179912310020", "certno_birth_date"),  # before 1800
        ("11010519491231002", "certno_length"),
        ("11010519491231002X1", "certno_length"),
        ("11010519491231X02X", "certno_format"),
        ("A1010519491231002X", "certno_format"),
    ],
)
def test_invalid_certnos_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_certno(value)
    assert codes(exc) == [code]
    assert "身份证" in exc.value.messages[0]


def test_future_birth_date_is_refused():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}002"
    with pytest.raises(ValidationError) as exc:
        validate_certno(first17 + certno_check_digit(first17))
    assert codes(exc) == ["certno_birth_date"]


def test_generated_certnos_are_valid():
    for n, gender in [(0, "1"), (1, "2"), (999, "1"), (123456, "2")]:
        certno = make_certno(n, datetime.date(1988, 2, 29), gender)
        validate_certno(certno)
        assert certno[6:14] == "19880229"
        assert int(certno[16]) % 2 == (1 if gender == "1" else 0)


@pytest.mark.parametrize("value", ["H41080000001", "H00000000000"])
def test_fixmedins_code_accepts_h_and_11_digits(value):
    validate_fixmedins_code(value)


@pytest.mark.parametrize("value", ["41080000001", "H4108000001", "h41080000001", "H410800000012", "HA1080000001"])
def test_fixmedins_code_refuses_other_shapes(value):
    with pytest.raises(ValidationError):
        validate_fixmedins_code(value)


@pytest.mark.parametrize(("value", "ok"), [("2026-03", True), ("2026-12", True), ("2026-13", False),
                                           ("2026-00", False), ("2026/03", False), ("202603", False)])
def test_year_month(value, ok):
    if ok:
        validate_year_month(value)
    else:
        with pytest.raises(ValidationError):
            validate_year_month(value)


# --- Person -------------------------------------------------------------------------------------

def test_person_lower_case_x_is_stored_upper_case():
    person = Person(psn_no="P1", name="张三", gender="2", birth_date=datetime.date(1949, 12, 31),
                    certno=VALID_X.lower())
    person.full_clean()
    person.save()
    person.refresh_from_db()
    assert person.certno == VALID_X


def test_person_blank_certno_is_stored_as_null_and_may_repeat():
    a = PersonFactory(certno="")
    b = PersonFactory(certno=None)
    assert Person.objects.filter(pk__in=[a.pk, b.pk], certno__isnull=True).count() == 2


def test_person_duplicate_psn_no_is_refused():
    PersonFactory(psn_no="P0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(psn_no="P0001")


def test_person_duplicate_certno_is_refused_also_in_lower_case():
    PersonFactory(certno=VALID_X, birth_date=datetime.date(1949, 12, 31), gender="2")
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(certno=VALID_X.lower(), birth_date=datetime.date(1949, 12, 31), gender="2")


def test_person_full_clean_names_a_bad_certno():
    person = PersonFactory.build(certno="110105194912310021")
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert list(exc.value.message_dict) == ["certno"]
    assert "校验位" in exc.value.message_dict["certno"][0]


def test_person_certno_must_agree_with_birth_date_and_gender():
    person = PersonFactory.build(certno=VALID_X, birth_date=datetime.date(1950, 1, 1), gender="2")
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert "出生日期" in exc.value.message_dict["certno"][0]
    person = PersonFactory.build(certno=VALID_X, birth_date=datetime.date(1949, 12, 31), gender="1")
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert "性别" in exc.value.message_dict["certno"][0]


def test_person_bad_gender():
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(gender="3", certno=None)
    with pytest.raises(ValidationError) as exc:
        PersonFactory.build(gender="3", certno=None).full_clean()
    assert "gender" in exc.value.message_dict


def test_person_age_in_full_years():
    person = PersonFactory.build(birth_date=datetime.date(2012, 7, 1))
    assert person.age_on(datetime.date(2026, 6, 30)) == 13
    assert person.age_on(datetime.date(2026, 7, 1)) == 14


# --- Enrollment -----------------------------------------------------------------------------------

def test_enrollment_end_before_start_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(enrolled_from=datetime.date(2026, 1, 1), enrolled_to=datetime.date(2025, 12, 31))
    enrollment = EnrollmentFactory.build(
        person=PersonFactory(), enrolled_from=datetime.date(2026, 1, 1), enrolled_to=datetime.date(2025, 12, 31)
    )
    with pytest.raises(ValidationError) as exc:
        enrollment.full_clean()
    assert "enrolled_to" in exc.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [("paid_through", "2026-13"), ("paid_through", "2026/03"), ("insutype", "999"), ("psn_type", "worker")],
)
def test_enrollment_bad_inputs_name_the_field(field, value):
    enrollment = EnrollmentFactory.build(person=PersonFactory(), **{field: value})
    with pytest.raises(ValidationError) as exc:
        enrollment.full_clean()
    assert list(exc.value.message_dict) == [field]


def test_enrollment_may_not_overlap_another_of_the_same_person():
    first = EnrollmentFactory(enrolled_from=datetime.date(2020, 1, 1), enrolled_to=datetime.date(2025, 12, 31))
    overlapping = EnrollmentFactory.build(person=first.person, enrolled_from=datetime.date(2025, 6, 1))
    with pytest.raises(ValidationError) as exc:
        overlapping.full_clean()
    assert "enrolled_from" in exc.value.message_dict
    following = EnrollmentFactory.build(person=first.person, enrolled_from=datetime.date(2026, 1, 1))
    following.full_clean()


def test_in_force_finds_the_enrollment_covering_a_date():
    person = PersonFactory()
    old = EnrollmentFactory(person=person, enrolled_from=datetime.date(2020, 1, 1),
                            enrolled_to=datetime.date(2025, 12, 31), insutype="390", psn_type="resident_adult")
    new = EnrollmentFactory(person=person, enrolled_from=datetime.date(2026, 1, 1), enrolled_to=None)
    EnrollmentFactory(enrolled_from=datetime.date(2000, 1, 1))  # someone else

    def in_force(day):
        return list(Enrollment.objects.in_force(person, day))

    assert in_force(datetime.date(2019, 12, 31)) == []
    assert in_force(datetime.date(2020, 1, 1)) == [old]
    assert in_force(datetime.date(2025, 12, 31)) == [old]
    assert in_force(datetime.date(2026, 1, 1)) == [new]
    assert in_force(datetime.date(2099, 1, 1)) == [new]
    assert Enrollment.objects.in_force(None, datetime.date(2026, 3, 1)).count() == 2


# --- PersonalAccount and its ledger -----------------------------------------------------------------

def test_account_balance_may_not_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalAccountFactory(balance=Decimal("-0.01"))
    with pytest.raises(ValidationError) as exc:
        PersonalAccountFactory.build(person=PersonFactory(), balance=Decimal("-0.01")).full_clean()
    assert list(exc.value.message_dict) == ["balance"]


def test_account_is_one_per_person():
    account = PersonalAccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalAccountFactory(person=account.person)


def test_movement_constraints():
    account = PersonalAccountFactory(balance=Decimal("100.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountMovementFactory(account=account, amount=Decimal("-200.00"), balance_after=Decimal("-100.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountMovementFactory(account=account, amount=Decimal("0"), balance_after=Decimal("100.00"))
    with pytest.raises(IntegrityError), transaction.atomic():  # a settlement movement names its settlement
        AccountMovementFactory(account=account, kind=MovementKind.SETTLEMENT, amount=Decimal("-10.00"))


def test_movement_one_per_settlement():
    settlement = SettlementFactory()
    account = PersonalAccountFactory(person=settlement.person, balance=Decimal("1120.00"))
    AccountMovementFactory(account=account, kind=MovementKind.SETTLEMENT, settlement=settlement,
                           amount=Decimal("-80.00"), balance_after=Decimal("1120.00"))
    assert settlement.account_movements.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountMovementFactory(account=account, kind=MovementKind.SETTLEMENT, settlement=settlement,
                               amount=Decimal("-80.00"), balance_after=Decimal("1040.00"))


def test_movement_ledger_is_append_only_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    movement = AccountMovementFactory()
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        AccountMovement.objects.filter(pk=movement.pk).update(reason="changed")
    with pytest.raises(DatabaseError, match="append_only"), transaction.atomic():
        AccountMovement.objects.filter(pk=movement.pk).delete()
    movement.refresh_from_db()
    assert movement.reason == "年度划入"


# --- Institution ------------------------------------------------------------------------------------

def test_institution_code_level_and_region_are_validated():
    institution = InstitutionFactory.build(fixmedins_code="X123", level=4, region="41080")
    with pytest.raises(ValidationError) as exc:
        institution.full_clean()
    errors = exc.value.message_dict
    assert set(errors) == {"fixmedins_code", "level", "region"}
    assert "H加11位数字" in errors["fixmedins_code"][0]


def test_institution_level_outside_0_to_3_is_refused_by_the_database():
    with pytest.raises(IntegrityError, match="level_0_3"), transaction.atomic():
        InstitutionFactory(level=4)


def test_institution_duplicate_code_is_refused():
    InstitutionFactory(fixmedins_code="H41080000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        InstitutionFactory(fixmedins_code="H41080000001")


def test_institution_region_may_be_blank():
    InstitutionFactory.build(region="").full_clean()


# --- history ------------------------------------------------------------------------------------------

def test_person_changes_are_tracked_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("pghistory triggers exist on PostgreSQL only")
    person = PersonFactory(name="张三")
    person.name = "张叁"
    person.save()
    events = list(person.events.order_by("pgh_id").values_list("pgh_label", "name"))
    assert events == [("insert", "张三"), ("update", "张叁")]
