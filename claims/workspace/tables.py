"""Tables of the workspace lists (django-tables2): sortable columns, paginated by the views."""
from __future__ import annotations

import django_tables2 as tables
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from claims.models import DailyJob, UploadJob, Visit
from claims.users import roles_of
from core.display import MoneyColumn
from insurance.models import Institution, Person
from review.models import AuditHit
from review.selectors import display_certno

ATTRS = {"class": "table"}


class VisitTable(tables.Table):
    mdtrt_id = tables.Column(verbose_name=_("Visit ID"),
                             linkify=lambda record: reverse("workspace:visit", args=[record.mdtrt_id]))
    person = tables.Column(verbose_name=_("Person"), accessor="person__psn_no",
                           linkify=lambda record: reverse("workspace:person", args=[record.person.psn_no]))
    institution = tables.Column(verbose_name=_("Institution"), accessor="institution__name",
                                linkify=lambda record: reverse("workspace:institution",
                                                               args=[record.institution.fixmedins_code]))
    med_type = tables.Column(verbose_name=_("Medical type"))
    begntime = tables.DateTimeColumn(verbose_name=_("Begin"), format="Y-m-d H:i")
    endtime = tables.DateTimeColumn(verbose_name=_("End"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=_("Status"))
    items = tables.Column(verbose_name=_("Suspect items"), accessor="pk", orderable=False)

    class Meta:
        model = Visit
        fields = ()
        sequence = ("mdtrt_id", "person", "institution", "med_type", "begntime", "endtime", "status", "items")
        attrs = ATTRS
        empty_text = _("No visits.")

    def render_med_type(self, record):
        return record.med_type_label

    def render_status(self, record):
        return record.get_status_display()

    def render_items(self, record):
        items = list(record.suspect_items.all())
        if not items:
            return "—"
        return format_html_join(" ", '<a href="{}">#{}</a>',
                                ((reverse("workspace:item", args=[i.pk]), i.pk) for i in items))


class PersonTable(tables.Table):
    psn_no = tables.Column(verbose_name=_("Person number"),
                           linkify=lambda record: reverse("workspace:person", args=[record.psn_no]))
    name = tables.Column(verbose_name=_("Name"))
    certno = tables.Column(verbose_name=_("ID number"), orderable=False)
    birth_date = tables.DateColumn(verbose_name=_("Birth date"), format="Y-m-d")

    class Meta:
        model = Person
        fields = ()
        sequence = ("psn_no", "name", "certno", "birth_date")
        attrs = ATTRS
        empty_text = _("No persons.")

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def render_certno(self, value):
        return display_certno(self.user, value)


class InstitutionTable(tables.Table):
    fixmedins_code = tables.Column(verbose_name=_("Institution code"),
                                   linkify=lambda record: reverse("workspace:institution",
                                                                  args=[record.fixmedins_code]))
    name = tables.Column(verbose_name=_("机构名称"))
    level = tables.Column(verbose_name=_("Level"))
    region = tables.Column(verbose_name=_("Region"))

    class Meta:
        model = Institution
        fields = ()
        sequence = ("fixmedins_code", "name", "level", "region")
        attrs = ATTRS
        empty_text = _("No institutions.")


class HitTable(tables.Table):
    rule_code = tables.Column(verbose_name=_("Rule"))
    stage = tables.Column(verbose_name=_("Stage"))
    severity = tables.Column(verbose_name=_("Severity"))
    visit = tables.Column(verbose_name=_("Visit"), accessor="visit__mdtrt_id",
                          linkify=lambda record: reverse("workspace:visit", args=[record.visit.mdtrt_id]))
    amount = MoneyColumn(verbose_name=_("Amount"))
    evidence = tables.Column(verbose_name=_("Evidence"), orderable=False)
    item = tables.Column(verbose_name=_("Suspect item"), accessor="item_id",
                         linkify=lambda record: reverse("workspace:item", args=[record.item_id])
                         if record.item_id else None)
    created_at = tables.DateTimeColumn(verbose_name=_("Found"), format="Y-m-d H:i")

    class Meta:
        model = AuditHit
        fields = ()
        sequence = ("rule_code", "stage", "severity", "visit", "amount", "evidence", "item", "created_at")
        attrs = ATTRS
        empty_text = _("No rule hits.")


class DeductionTable(tables.Table):
    """fund_budget.AuditDeduction rows (the model is passed in so this module imports without it)."""

    confirmed_at = tables.DateTimeColumn(verbose_name=_("Confirmed"), format="Y-m-d H:i")
    fund = tables.Column(verbose_name=_("Fund"))
    amount = MoneyColumn(verbose_name=_("Amount"))
    reason = tables.Column(verbose_name=_("Reason"), orderable=False)
    source = tables.Column(verbose_name=_("Source"), accessor="source_id", orderable=False)
    reversed_at = tables.DateTimeColumn(verbose_name=_("Reversed"), format="Y-m-d H:i")

    class Meta:
        attrs = ATTRS
        empty_text = _("No deductions.")

    def render_source(self, record):
        if record.source_type == "audit.suspect" and record.source_id.isdigit():
            return format_html('<a href="{}">#{}</a>', reverse("workspace:item", args=[int(record.source_id)]),
                               record.source_id)
        return f"{record.source_type}:{record.source_id}"


class DailyJobTable(tables.Table):
    run_date = tables.DateColumn(verbose_name=_("Business date"), format="Y-m-d",
                                 linkify=lambda record: reverse("workspace:daily-job", args=[record.pk]))
    status = tables.Column(verbose_name=_("State"))
    chunks = tables.Column(verbose_name=_("Chunks done"), accessor="chunks_done", attrs={"td": {"class": "num"}})
    visits_settled = tables.Column(verbose_name=_("Visits settled"), attrs={"td": {"class": "num"}})
    visits_quarantined = tables.Column(verbose_name=_("Quarantined"), attrs={"td": {"class": "num"}})
    started_at = tables.DateTimeColumn(verbose_name=_("Started"), format="Y-m-d H:i:s")
    finished_at = tables.DateTimeColumn(verbose_name=_("Finished"), format="Y-m-d H:i:s")

    class Meta:
        model = DailyJob
        fields = ()
        sequence = ("run_date", "status", "chunks", "visits_settled", "visits_quarantined", "started_at",
                    "finished_at")
        attrs = ATTRS
        empty_text = _("No daily jobs.")

    def render_status(self, record):
        return record.get_status_display()

    def render_chunks(self, record):
        return f"{record.chunks_done}/{record.chunks_total}"


class UploadJobTable(tables.Table):
    id = tables.Column(verbose_name=_("Job"), linkify=lambda record: reverse("workspace:upload-job", args=[record.pk]))
    institution = tables.Column(verbose_name=_("Institution"), accessor="institution__name")
    file_name = tables.Column(verbose_name=_("File"))
    status = tables.Column(verbose_name=_("State"))
    rows = tables.Column(verbose_name=_("Rows done"), accessor="rows_done", attrs={"td": {"class": "num"}})
    accepted = tables.Column(verbose_name=_("Accepted"), attrs={"td": {"class": "num"}})
    rejected = tables.Column(verbose_name=_("Rejected"), attrs={"td": {"class": "num"}})
    created_at = tables.DateTimeColumn(verbose_name=_("Uploaded"), format="Y-m-d H:i:s")

    class Meta:
        model = UploadJob
        fields = ()
        sequence = ("id", "institution", "file_name", "status", "rows", "accepted", "rejected", "created_at")
        attrs = ATTRS
        empty_text = _("No upload jobs.")

    def render_id(self, value):
        return f"#{value}"

    def render_status(self, record):
        return record.get_status_display()

    def render_rows(self, record):
        return f"{record.rows_done}/{record.rows_total}"


class UserTable(tables.Table):
    """The logins of the user pages: username, name, roles in words, institution, active."""

    username = tables.Column(verbose_name=_("Username"),
                             linkify=lambda record: reverse("workspace:user", args=[record.pk]))
    first_name = tables.Column(verbose_name=_("Full name"))
    roles = tables.Column(verbose_name=_("Roles"), accessor="pk", orderable=False)
    institution = tables.Column(verbose_name=_("Institution"), accessor="pk", orderable=False)
    is_active = tables.Column(verbose_name=_("Status"))
    last_login = tables.DateTimeColumn(verbose_name=_("Last sign-in"), format="Y-m-d H:i")

    class Meta:
        model = User
        fields = ()
        sequence = ("username", "first_name", "roles", "institution", "is_active", "last_login")
        attrs = ATTRS
        empty_text = _("No users.")

    def render_roles(self, record):
        labels = [label for _name, label in roles_of(record)]
        if record.is_superuser:
            labels.insert(0, str(_("Superuser")))
        return "、".join(labels) or "—"

    def render_institution(self, record):
        link = getattr(record, "institution_link", None)
        return f"{link.institution.fixmedins_code} {link.institution.name}" if link else "—"

    def render_is_active(self, record):
        return _("Active") if record.is_active else _("Deactivated")
