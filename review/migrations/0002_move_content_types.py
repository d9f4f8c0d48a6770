"""The content types of the moved models go from app label claims to review (claims 0017, review 0001).

Permissions hang on content types, and groups (claims.roles, setup_roles) on permissions: renaming the
content type in place keeps every permission row, and every grant of it, under its new label
(claims.view_suspectitem becomes review.view_suspectitem). On a new database there is nothing to move
yet (content types are created after migrate).

If both content types exist — post_migrate created the new one between a migration back and forth —
the grants of the old type's permissions are given on the new type's permissions of the same codename;
the old type stays for remove_stale_contenttypes (deleting it here would cascade through tables this
migration's state does not know)."""
from django.conf import settings
from django.db import migrations

MODELS = ["audithit", "suspectitem", "appeal", "reviewevent"]


def _move(apps, schema_editor, source: str, target: str) -> None:
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.using(db).filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        for perm in Permission.objects.using(db).filter(content_type=old):
            twin, _created = Permission.objects.using(db).get_or_create(
                content_type=new, codename=perm.codename, defaults={"name": perm.name})
            twin.group_set.add(*perm.group_set.all())
            twin.user_set.add(*perm.user_set.all())


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "claims", "review")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "review", "claims")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('claims', '0017_review_models_move_to_review_app'),
        ('review', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
