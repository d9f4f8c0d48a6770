from django.db import migrations, models

# The caseworker search (claims.workspace.views.search) looks persons up with name__icontains, that is
# UPPER(name) LIKE UPPER('%q%'): a trigram index serves it for three characters or more. Two-character
# names have no trigram and are read in full; the btree index below serves an exact or leading match.
TRGM_INDEX = "insurance_person_name_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return  # not installed on this server: the search reads the table (docs/scaling.md)
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON insurance_person "
                          f"USING gin (upper(name::text) gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    """Caseworker search by name (issue #7; docs/scaling.md)."""

    dependencies = [
        ('insurance', '0002_institution_user'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='person',
            index=models.Index(fields=['name'], name='insurance_person_name_idx', opclasses=['varchar_pattern_ops']),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
