"""core.idlists.among: thousands of ids for `__in` as one array parameter, the same rows as the list."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models.expressions import RawSQL

from core.idlists import MANY, among


def test_a_few_ids_stay_a_sorted_list_without_repeats():
    assert among([3, 1, 3, 2]) == [1, 2, 3]


@pytest.mark.django_db
def test_many_ids_select_the_rows_the_list_selects():
    ids = list(range(-MANY, MANY * 3))
    wide = among(ids)
    assert isinstance(wide, RawSQL)
    rows = ContentType.objects.filter(pk__in=wide)
    assert sorted(rows.values_list("pk", flat=True)) == sorted(
        ContentType.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert rows.exists()
