"""Read-only look-ups for the provider interface: a person's insured status (1101) and year (5206)."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.models import Accumulator
from insurance.models import Enrollment, Person, PersonalAccount
from insurance.validators import normalize_certno, validate_certno


def person_by_certno(certno: str) -> Person | None:
    """The person with this identity number. Only a full, valid 18-character number is searched."""
    certno = normalize_certno(certno)
    if not certno:
        raise ServiceError.one("certno", "REQUIRED", _("请提供完整的身份证号码。"))
    try:
        validate_certno(certno)
    except ValidationError as exc:
        code = "CERTNO_INCOMPLETE" if exc.code == "certno_length" else "INVALID_CERTNO"
        raise ServiceError.one("certno", code, " ".join(exc.messages)) from exc
    return Person.objects.filter(certno=certno).first()


def insured_status(person: Person, on_date: dt.date | None = None) -> dict:
    """Enrollment in force on the date (default today), account balance and that year's accumulations."""
    on_date = on_date or timezone.localdate()
    enrollment = Enrollment.objects.in_force(person, on_date).first()
    account = PersonalAccount.objects.filter(person=person).first()
    return {
        "person": person,
        "as_of": on_date,
        "insuinfo": None if enrollment is None else {
            "insutype": enrollment.insutype, "psn_type": enrollment.psn_type,
            "enrolled_from": enrollment.enrolled_from, "enrolled_to": enrollment.enrolled_to,
            "paid_through": enrollment.paid_through, "assistance_category": enrollment.assistance_category,
        },
        "balc": account.balance if account is not None else None,
        "year": on_date.year,
        "accumulations": list(
            Accumulator.objects.filter(person=person, year=on_date.year)
            .order_by("kind", "key").values("kind", "key", "amount")
        ),
    }
