"""History context for statements that bypass Django's execute wrappers (COPY and set-based SQL)."""
import json
import uuid


def history_context(cursor, **metadata) -> None:
    """Attach this transaction's history events (django-pghistory) to one context, as pghistory.context() does.

    COPY does not pass through Django's execute wrappers, so the settings are made here. With them set, the
    history triggers of the tracked tables (persons, enrollments, institutions, catalog items, settlements)
    record their event without the two failed setting lookups per row (each a subtransaction) they make
    otherwise (the cost per row: docs/benchmarks.md). 'pgtrigger.ignore' = '{}' ignores no trigger."""
    cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true), set_config('pghistory.context_id', %s, true), "
                   "set_config('pghistory.context_metadata', %s, true)",
                   [str(uuid.uuid4()), json.dumps(metadata, ensure_ascii=False, default=str)])
