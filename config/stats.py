"""Headline counts of the platform's data, for the home page and the demo summary.

Models are looked up by name so this works before and after each app's models exist: a model
that is not there yet is simply left out.
"""
from django.apps import apps
from django.utils.translation import gettext_lazy as _

COUNTED_MODELS = [
    ("insurance", "Person", _("Insured persons")),
    ("insurance", "Institution", _("Institutions")),
    ("claims", "Visit", _("Visits")),
    ("claims", "Settlement", _("Settlements")),
]


def platform_counts() -> list[tuple[str, int]]:
    """(label, row count) for each counted model that exists."""
    counts = []
    for app_label, model_name, label in COUNTED_MODELS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        counts.append((label, model._default_manager.count()))
    return counts
