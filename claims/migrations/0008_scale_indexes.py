from django.db import migrations, models

# Fee lines are written once (upload) and updated once (the daily job's classification). With room left
# in each page the update stays on the page (a HOT update: no new entries in the four indexes).
FEELINE_FILLFACTOR = 70


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE claims_feeline SET (fillfactor = {FEELINE_FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE claims_feeline RESET (fillfactor)")


class Migration(migrations.Migration):
    """Indexes and storage for the daily job at scale (issue #7; docs/scaling.md)."""

    dependencies = [
        ('claims', '0007_review'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='upload',
            index=models.Index(fields=['created_at'], name='claims_upload_created_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('status', 'discharged')), fields=['endtime'],
                               name='claims_visit_to_settle_idx'),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False),
    ]
