"""gunicorn's access log with personal numbers masked (config/logfilters.py): the request line, the query, the
referrer and every other field of a line. gunicorn writes its access log itself, outside Django's LOGGING, so
the console filter does not see it; docker-compose.yml and the Dockerfile start gunicorn with
--logger-class config.gunicorn_logging.MaskingLogger."""
from __future__ import annotations

from gunicorn.glogging import Logger

from config.logfilters import mask_personal_data


class MaskingLogger(Logger):
    """gunicorn's logger whose access-log fields are masked before the line is formatted."""

    def atoms(self, resp, req, environ, request_time):
        return {key: mask_personal_data(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
