"""Factories of the insurance app (persons, enrollments, accounts, institutions) and of the logins that
act for an institution (users, their institution link, API tokens)."""
import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory
from rest_framework.authtoken.models import Token

from insurance import models as insurance
from insurance.validators import certno_check_digit

from .common import D


def make_certno(n: int, birth_date: datetime.date, gender: str) -> str:
    """A valid identity number, unique per n (division code and sequence derived from n)."""
    division = f"41{n // 500 % 10000:04d}"
    sequence = (n % 500) * 2 + (1 if gender == insurance.Gender.MALE else 0)
    first17 = f"{division}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + certno_check_digit(first17)


def certno_for(birth: datetime.date, sequence: int, region: str = "410802") -> str:
    """The identity number of someone born on `birth`, registered in `region` with this sequence number."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + certno_check_digit(first17)


class UserFactory(DjangoModelFactory):
    """A login. UserFactory(password="…") gives it a usable password (hashed: slow, so only when asked),
    UserFactory(roles=["reviewer"]) puts it in bureau role groups (claims.roles.ensure_roles makes them)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"clerk{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        if extracted:
            obj.set_password(extracted)
            if create:
                obj.save(update_fields=["password"])

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        for name in extracted or ():
            obj.groups.add(Group.objects.get(name=name))


class TokenFactory(DjangoModelFactory):
    """A DRF API token (its key is generated on save)."""

    class Meta:
        model = Token

    user = factory.SubFactory(UserFactory)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = insurance.Person

    psn_no = factory.Sequence(lambda n: f"P{n:08d}")
    name = factory.Faker("name", locale="zh_CN")
    gender = factory.Iterator([insurance.Gender.MALE, insurance.Gender.FEMALE])
    birth_date = factory.Faker("date_between", start_date=datetime.date(1940, 1, 1), end_date=datetime.date(2020, 12, 31))
    certno = factory.LazyAttributeSequence(lambda o, n: make_certno(n, o.birth_date, o.gender))


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = insurance.Enrollment

    person = factory.SubFactory(PersonFactory)
    insutype = insurance.Insutype.EMPLOYEE
    psn_type = insurance.PsnType.IN_SERVICE
    enrolled_from = datetime.date(2020, 1, 1)
    enrolled_to = None
    paid_through = "2026-12"
    assistance_category = ""


class PersonalAccountFactory(DjangoModelFactory):
    class Meta:
        model = insurance.PersonalAccount

    person = factory.SubFactory(PersonFactory)
    balance = D("1200.00")


class InsuredPersonFactory(PersonFactory):
    """The API and review tests' insured person: "参保人<psn_no>", male, born 1970-05-01, no identity number,
    an employee in service since 2020 paid through 2030-12, with a personal account of 1200.00.

    Override the enrollment with enrollment__insutype=… and the balance with account__balance=…;
    account=None gives no personal account (a resident)."""

    class Meta:
        skip_postgeneration_save = True

    name = factory.LazyAttribute(lambda o: f"参保人{o.psn_no}")
    gender = insurance.Gender.MALE
    birth_date = datetime.date(1970, 5, 1)
    certno = None
    enrollment = factory.RelatedFactory(EnrollmentFactory, factory_related_name="person", paid_through="2030-12")
    account = factory.RelatedFactory(PersonalAccountFactory, factory_related_name="person", balance=D("1200.00"))


class AccountMovementFactory(DjangoModelFactory):
    class Meta:
        model = insurance.AccountMovement

    account = factory.SubFactory(PersonalAccountFactory)
    amount = D("300.00")
    balance_after = factory.LazyAttribute(lambda o: o.account.balance + o.amount)
    kind = insurance.MovementKind.CREDIT
    reason = "年度划入"


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = insurance.Institution

    fixmedins_code = factory.Sequence(lambda n: f"H4108{n:07d}")
    name = factory.Sequence(lambda n: f"示范市第{n + 1}人民医院")
    level = insurance.InstitutionLevel.LEVEL_3
    kind = insurance.InstitutionKind.HOSPITAL
    designated = True
    region = "410800"


class InstitutionUserFactory(DjangoModelFactory):
    """The link that makes a login act for one institution (what the provider API requires)."""

    class Meta:
        model = insurance.InstitutionUser

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)


def institution_user(institution: insurance.Institution, username: str, *, staff: bool = False):
    """A login of `institution` with an API token: (user, token)."""
    link = InstitutionUserFactory(institution=institution, user__username=username, user__is_staff=staff)
    return link.user, TokenFactory(user=link.user)


FACTORIES = {
    "insurance.person": PersonFactory,
    "insurance.enrollment": EnrollmentFactory,
    "insurance.personalaccount": PersonalAccountFactory,
    "insurance.accountmovement": AccountMovementFactory,
    "insurance.institution": InstitutionFactory,
    "insurance.institutionuser": InstitutionUserFactory,
}
