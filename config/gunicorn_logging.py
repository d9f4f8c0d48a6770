"""gunicorn's access log with personal numbers masked (config/logfilters.py): the request line, the query, the
referrer and every other field of a line. gunicorn writes its access log itself, outside Django's LOGGING, so
the console filter does not see it; docker-compose.yml and the Dockerfile start gunicorn with
--logger-class config.gunicorn_logging.MaskingLogger (and bench/api_bench.py, which runs their command).

gunicorn offers the format every atom of a request: the request line and its parts, each request and response
header and each WSGI environ variable, about sixty strings. The format reads nine of them (the default, "combined").
Masking each of the sixty with two regular expressions cost about 0.17 ms of CPU per request, four times the rest
of the line (docs/benchmarks.md, "The stack's floor"); the atoms are masked when the format reads them instead,
so a format that names any atom, a header's or the environ's too, gets it masked all the same."""
from __future__ import annotations

from gunicorn.glogging import Logger, SafeAtoms

from config.logfilters import mask_personal_data


class MaskedAtoms(SafeAtoms):
    """gunicorn's atoms of one access-log line (case-insensitive headers, "-" for a missing atom), each string
    masked as the format reads it."""

    def __getitem__(self, k):
        value = super().__getitem__(k)
        return mask_personal_data(value) if isinstance(value, str) else value


class MaskingLogger(Logger):
    """gunicorn's logger whose access-log fields are masked before the line is formatted."""

    atoms_wrapper_class = MaskedAtoms
