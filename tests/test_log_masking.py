"""Personal numbers never reach the logs whole (config/logfilters.py, on the console handler of LOGGING): an
18-character ID number keeps its first six and last four characters, a mobile number its first three and last
four digits; longer codes (visit IDs, institution codes) are left alone. gunicorn's access log too."""
import datetime as dt
import io
import logging
import sys
from types import SimpleNamespace

from django.conf import settings
from gunicorn.config import Config

from config.gunicorn_logging import MaskingLogger
from config.logfilters import MaskPersonalData, mask_personal_data

CERTNO = "41080219700501001X"


def test_id_and_mobile_numbers_are_masked_wherever_they_stand():
    text = f"GET /ws/search/?q={CERTNO}&tel=13812345678 certno={CERTNO.lower()}"
    assert mask_personal_data(text) == ("GET /ws/search/?q=410802********001X&tel=138****5678 "
                                        "certno=410802********001x")


def test_other_codes_are_left_alone():
    for text in ("M20260301A1B2C3D4E5F60718", "M2026030113812345678ABCDEF", "H41080000001", "410802197005010013999",
                 "P0001", "amount 12345678901.00", "fen 13812345678901"):
        assert mask_personal_data(text) == text


def test_the_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "person %s phone %s", (CERTNO, "15912345678"), None)
    try:
        raise ValueError(f"no such person {CERTNO}")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert MaskPersonalData().filter(record) is True
    assert record.getMessage() == "person 410802********001X phone 159****5678"
    assert CERTNO not in record.exc_text and "410802********001X" in record.exc_text


def test_the_console_handler_carries_the_filter():
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["personal_data"]
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    assert any(isinstance(f, MaskPersonalData) for f in handler.filters)


def access_line(query: str, resp, req_headers: list, access_log_format: str | None = None, **environ) -> str:
    """The line MaskingLogger writes for a GET of /ws/search/?query."""
    cfg = Config()
    cfg.set("accesslog", "-")
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    logger = MaskingLogger(cfg)
    out = io.StringIO()
    logger.access_log.handlers = [logging.StreamHandler(out)]
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/ws/search/?{query}", "PATH_INFO": "/ws/search/",
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.1.2.3", **environ}
    logger.access(resp, SimpleNamespace(headers=req_headers), environ, dt.timedelta(milliseconds=5))
    return out.getvalue()


def test_gunicorns_access_log_masks_them_too():
    """gunicorn writes its access log outside Django's LOGGING: its logger class masks every field."""
    line = access_line(f"q={CERTNO}&tel=13812345678", SimpleNamespace(status="400 Bad Request", sent=10, headers=[]),
                       [], HTTP_REFERER=f"https://yibao.example.gov.cn/ws/search/?q={CERTNO}")
    assert "/ws/search/?q=410802********001X&tel=138****5678" in line and CERTNO not in line
    assert "13812345678" not in line and "10.1.2.3" in line


def test_any_atom_a_format_names_is_masked():
    """The atoms are masked as the format reads them: a header's, a response header's and the environ's too."""
    line = access_line(f"q={CERTNO}", SimpleNamespace(status="200 OK", sent=10, headers=[("X-Person", "13812345678")]),
                       [("X-PERSON", f"id {CERTNO}")],
                       '%(r)s "%(q)s" %({x-person}i)s %({X-Person}o)s %({http_x_person}e)s %(f)s %(s)s',
                       HTTP_X_PERSON=f'"{CERTNO}"')
    assert line == ('GET /ws/search/?q=410802********001X HTTP/1.1 "q=410802********001X" id 410802********001X '
                    '138****5678 \\"410802********001X\\" - 200\n')
