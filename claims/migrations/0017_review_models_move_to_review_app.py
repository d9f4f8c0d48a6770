"""The smart-audit review's models leave the claims app for the review app (review 0001 takes them over).

State only: the tables, their constraints, indexes and trigger stay in the database as they are and
belong to review.AuditHit, review.SuspectItem, review.Appeal and review.ReviewEvent from now on
(db_table claims_*). review 0002 moves their content types, so permissions and groups keep working."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0016_institution_audit_stats'),
        ('review', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                # referrers before the referred: hits and events point at items and appeals, appeals at items
                migrations.DeleteModel(name='AuditHit'),
                migrations.DeleteModel(name='ReviewEvent'),
                migrations.DeleteModel(name='Appeal'),
                migrations.DeleteModel(name='SuspectItem'),
            ],
        ),
    ]
