"""Who changed a login or its roles, when, and what (django-pghistory events on Django's own tables).

The user rows (without the password hash and the last sign-in time) and the user–group links are tracked
by database triggers, so a change made anywhere — the workspace's user pages (claims.users), the admin, a
shell — leaves its event; HistoryMiddleware and claims.users attach who did it (pgh_context). The events are
never changed or deleted (core.ledger.history_meta).

The triggers sit on proxies of the auth models (pgtrigger's way for another app's tables), so that their
migrations are this app's, never django.contrib.auth's."""
import pghistory
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from core.ledger import history_meta

__all__ = ["TrackedUser", "TrackedUserGroup"]


# A login as it was after each insert or change of these fields (is_active: deactivation).
@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(),
    fields=["username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser"],
    model_name="UserEvent", meta=history_meta(),
)
class TrackedUser(User):
    class Meta:
        proxy = True
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


# A role given (role.add) or taken away (role.remove): a row of the user–group link table.
@pghistory.track(
    pghistory.InsertEvent("role.add"), pghistory.DeleteEvent("role.remove"),
    model_name="UserRoleEvent", obj_field=None, meta=history_meta(),
)
class TrackedUserGroup(User.groups.through):
    class Meta:
        proxy = True
