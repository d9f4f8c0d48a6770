"""What the append-only tests of each app share: a money row's UPDATE and DELETE, in SQL and through the ORM,
outside the services (refused) and on the services' path (core.ledger.money_writes), and the admin's verdict."""
from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory

from core.ledger import money_writes

REFUSED = "outside the money services refused"


def refused_everywhere(obj, field: str, value) -> None:
    """UPDATE of `field` to `value` and DELETE of obj are refused, in SQL and through the ORM; the row is intact."""
    model = type(obj)
    table, column = model._meta.db_table, model._meta.get_field(field).column
    before = model.objects.filter(pk=obj.pk).values().get()
    for statement in (f"UPDATE {table} SET {column} = %s WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        params = [value, obj.pk] if statement.startswith("UPDATE") else [obj.pk]
        with pytest.raises(DatabaseError, match=REFUSED if statement.startswith("UPDATE") else "refused|no_delete"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, params)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(**{field: value})
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        setattr(obj, field, value)
        obj.save(update_fields=[field])
    with pytest.raises((DatabaseError, ProtectedError)), transaction.atomic():
        model.objects.filter(pk=obj.pk).delete()
    assert model.objects.filter(pk=obj.pk).values().get() == before


def allowed_on_services_path(obj, field: str, value) -> None:
    """The same UPDATE passes on the services' path; on leaving it, the guard is back."""
    model = type(obj)
    with money_writes():
        assert model.objects.filter(pk=obj.pk).update(**{field: value}) == 1
    assert model.objects.filter(pk=obj.pk, **{field: value}).exists()
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(**{field: value})


def admin_offers_no_change(model, superuser) -> None:
    """For a superuser: no add, change or delete in the admin (a view-only page), whatever the object."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    for obj in (None, model.objects.first()):
        assert not model_admin.has_change_permission(request, obj)
        assert not model_admin.has_delete_permission(request, obj)


def money_guarded_models(app_label: str) -> set[str]:
    """The app's models carrying the services-only guard (core.ledger.append_only) in their Meta."""
    return {m._meta.label for m in apps.get_app_config(app_label).get_models()
            if any(t.name == "money_services_only" for t in getattr(m._meta, "triggers", []))}
