"""The four roles: groups made idempotently by setup_roles, and per role what it may do and see
(django-rules predicates registered as permissions, and the user-scoped selectors)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from claims.roles import ROLE_PERMISSIONS, ensure_roles
from core.ledger import money_writes
from review import services as review
from review.models import SuspectItem
from review.selectors import (
    appeals_for,
    display_certno,
    items_for,
    review_queue,
    rule_hit_stats,
    visit_trail,
)

from .conftest import make_user

D = Decimal
CERTNO = "410802197005010011"


def test_setup_roles_is_idempotent(world, capsys):
    call_command("setup_roles")
    call_command("setup_roles")
    assert "supervisor (稽核主管)" in capsys.readouterr().out
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
    assert set(groups) == {"caseworker", "reviewer", "appeal_reviewer", "supervisor"}
    for role, names in ROLE_PERMISSIONS.items():
        have = {f"{p.content_type.app_label}.{p.codename}" for p in groups[role].permissions.all()}
        assert have == set(names)
    assert "policy_rules.change_auditruledefinition" in ROLE_PERMISSIONS["supervisor"]
    assert "policy_rules.change_auditruledefinition" not in ROLE_PERMISSIONS["reviewer"]
    assert ensure_roles()["reviewer"].pk == groups["reviewer"].pk


# who: (view queue, review items, decide appeals, see certno, view stats, manage rules)
EXPECTED = {
    "caseworker":      (True, False, False, True, False, False),
    "reviewer":        (True, True, False, False, False, False),
    "appeal_reviewer": (True, False, True, False, False, False),
    "supervisor":      (True, False, False, True, True, True),
    "hosp_a":          (False, False, False, False, False, False),
    "nobody":          (False, False, False, False, False, False),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_permissions_per_role(world, who):
    appeal = world.appealed()
    item = appeal.item
    user = getattr(world, who)
    got = (user.has_perm("claims.view_review"), user.has_perm("claims.review_suspect_item", item),
           user.has_perm("claims.decide_appeal", appeal), user.has_perm("claims.see_certno"),
           user.has_perm("claims.view_review_stats"), user.has_perm("policy_rules.manage_audit_rules"))
    assert got == EXPECTED[who]


def test_the_items_institution_may_view_and_appeal_it_others_may_not(world):
    item = world.confirmed()
    assert world.hosp_a.has_perm("claims.view_suspect_item", item)
    assert world.hosp_a.has_perm("claims.file_appeal", item)
    assert not world.hosp_b.has_perm("claims.view_suspect_item", item)
    assert not world.hosp_b.has_perm("claims.file_appeal", item)
    assert not world.reviewer.has_perm("claims.file_appeal", item)
    assert world.caseworker.has_perm("claims.view_suspect_item", item)


def test_the_confirmer_loses_decide_appeal_on_that_item_only(world):
    both = make_user("both", "reviewer", "appeal_reviewer")
    mine = world.appealed(user=both)
    theirs = world.appealed(user=world.reviewer)
    assert not both.has_perm("claims.decide_appeal", mine)
    assert both.has_perm("claims.decide_appeal", theirs)


def test_certno_is_masked_for_roles_that_may_not_see_it(world):
    assert display_certno(world.caseworker, CERTNO) == CERTNO
    assert display_certno(world.supervisor, CERTNO) == CERTNO
    assert display_certno(world.reviewer, CERTNO) == "410802********0011"
    assert display_certno(world.hosp_a, CERTNO) == "410802********0011"
    assert display_certno(world.reviewer, None) == ""


def test_items_are_scoped_to_the_user(world):
    mine = world.item()
    dismissed = review.dismiss_item(world.item(), user=world.reviewer, reason="无问题")
    theirs = world.item(settlement=world.settled_visit(institution=world.inst_b))
    every = {mine.pk, dismissed.pk, theirs.pk}
    for who in ("caseworker", "reviewer", "appeal_reviewer", "supervisor"):
        assert set(items_for(getattr(world, who)).values_list("pk", flat=True)) == every
    assert set(items_for(world.hosp_a).values_list("pk", flat=True)) == {mine.pk}
    assert set(items_for(world.hosp_b).values_list("pk", flat=True)) == {theirs.pk}
    assert not items_for(world.nobody).exists()
    assert not visit_trail(world.hosp_b, mine.visit).exists()
    assert visit_trail(world.hosp_a, mine.visit).count() == 1


def test_the_queue_filters(world):
    small = world.item(amount_fen=2000)
    big = world.item(amount_fen=90000)
    bed = world.item(rule="BED-01", amount_fen=5000)
    other = world.item(settlement=world.settled_visit(institution=world.inst_b), amount_fen=5000)
    review.dismiss_item(world.item(), user=world.reviewer, reason="无问题")
    q = lambda **kw: [i.pk for i in review_queue(world.reviewer, **kw)]  # noqa: E731
    assert q() == [small.pk, big.pk, bed.pk, other.pk]  # pending, oldest first
    assert q(institution=world.inst_b) == [other.pk]
    assert q(rule="BED-01") == [bed.pk] and q(rule=world.bed_rule) == [bed.pk]
    assert q(min_amount=D("50.00"), max_amount=D("100.00")) == [bed.pk, other.pk]
    assert len(q(state="dismissed")) == 1 and len(q(state=None)) == 5
    now = timezone.now()
    with money_writes():  # items opened earlier: fixture setup
        SuspectItem.objects.filter(pk=small.pk).update(created_at=now - dt.timedelta(days=20))
        SuspectItem.objects.filter(pk=big.pk).update(created_at=now - dt.timedelta(days=5, hours=1))
    assert q(min_age_days=10, now=now) == [small.pk]
    assert q(min_age_days=5, now=now) == [small.pk, big.pk]
    assert q(max_age_days=5, now=now) == [big.pk, bed.pk, other.pk]
    assert q(max_age_days=4, now=now) == [bed.pk, other.pk]
    assert [i.pk for i in review_queue(world.hosp_a)] == [small.pk, big.pk, bed.pk]


def test_appeals_queue(world):
    appeal = world.appealed()
    assert list(appeals_for(world.appeal_reviewer)) == [appeal]
    assert list(appeals_for(world.hosp_b)) == []
    review.decide_appeal(appeal, user=world.appeal_reviewer, upheld=True, reason="维持")
    assert list(appeals_for(world.appeal_reviewer)) == []
    assert list(appeals_for(world.appeal_reviewer, state="upheld")) == [appeal]


def test_rule_statistics_are_for_the_supervisor(world):
    world.confirmed(amount="30.00")
    world.confirmed(amount="20.00")
    review.dismiss_item(world.item(), user=world.reviewer, reason="无问题")
    world.record(world.settled_visit(), {"rule_code": "PRICE-W", "amount_fen": 700})
    with pytest.raises(PermissionDenied):
        rule_hit_stats(world.reviewer, date_from=dt.date(2020, 1, 1), date_to=dt.date(2099, 1, 1))
    today = dt.date.today()
    stats = {s["rule_code"]: s for s in rule_hit_stats(world.supervisor, date_from=today - dt.timedelta(days=1),
                                                         date_to=today + dt.timedelta(days=1))}
    assert set(stats) == {"DUP-01", "PRICE-W"}
    dup = stats["DUP-01"]
    assert (dup["hits"], dup["visits"], dup["hit_amount"]) == (3, 3, D("150.00"))
    assert (dup["items"], dup["confirmed"], dup["confirmed_amount"], dup["dismissed"]) == (3, 2, D("50.00"), 1)
    assert (stats["PRICE-W"]["hits"], stats["PRICE-W"]["items"]) == (1, 0)
    assert rule_hit_stats(world.supervisor, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31)) == []
