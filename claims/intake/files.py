"""Fee lines from a CSV or XLSX file (明细文件导入), imported asynchronously visit by visit.

A file has a header row naming its columns (the national field names, any order, any case):
mdtrt_id, feedetl_sn, med_list_codg, cnt, pric, det_item_fee_sumamt, and optionally
medins_list_codg, fee_ocur_time, bilg_dept_codg, bilg_dr_codg; other columns are ignored. Rows are
grouped by mdtrt_id and each visit goes in through upload_fee_lines (so every row is checked by the
same validate_lines as the JSON upload). A visit with any bad row is rejected whole, with one error
per row; the other visits go in. Row numbers are those a spreadsheet shows: the header is row 1.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.intake.services import upload_fee_lines
from claims.models import JobStatus, UploadJob, UploadSource, Visit
from core import leases
from core.spreadsheet import safe_row
from insurance.models import Institution

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt")
OPTIONAL_COLUMNS = ("medins_list_codg", "fee_ocur_time", "bilg_dept_codg", "bilg_dr_codg")
LINE_COLUMNS = tuple(c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c != "mdtrt_id")
ERROR_COLUMNS = ("row", "mdtrt_id", "feedetl_sn", "field", "code", "message")
FILE_TYPES = (".csv", ".xlsx")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000


class FileFormatError(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, str(message)
        super().__init__(self.message)


def _error(row, mdtrt_id, feedetl_sn, field, code, message) -> dict:
    return {"row": row, "mdtrt_id": mdtrt_id or "", "feedetl_sn": feedetl_sn or "", "field": field or "",
            "code": code, "message": str(message)}


# --- reading ---------------------------------------------------------------------------------------

def cell_text(value) -> str:
    """A spreadsheet cell as the text the JSON upload would carry (never a binary float)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(repr(value)))  # the shortest text that round-trips, as the sheet shows it
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in a Chinese locale saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("UNREADABLE_FILE", _("文件编码无法识别，请使用UTF-8或GBK编码的CSV。"))


def iter_cells(fileobj, kind: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of every row, the header included as row 1."""
    fileobj.seek(0)
    if kind == ".csv":
        text = _decode(fileobj.read())
        try:
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                yield number, [c.strip() for c in cells]
        except csv.Error as exc:
            raise FileFormatError("UNREADABLE_FILE", _("CSV格式错误：%(e)s") % {"e": exc}) from exc
        return
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError("UNREADABLE_FILE", _("无法读取XLSX文件：%(e)s") % {"e": exc}) from exc
    try:
        for number, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, [cell_text(c) for c in cells]
    finally:
        workbook.close()


def header_columns(cells: list[str]) -> dict[str, int]:
    """Column name → position; raises FileFormatError when a required column is missing."""
    positions: dict[str, int] = {}
    for i, name in enumerate(cells):
        name = (name or "").strip().lower()
        if name and name not in positions:
            positions[name] = i
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise FileFormatError("MISSING_COLUMNS", _("缺少必需的列：%(cols)s") % {"cols": ", ".join(missing)})
    return positions


def read_rows(fileobj, kind: str) -> list[tuple[int, dict]]:
    """Every non-blank data row as (row number, {column: text})."""
    cells_iter = iter_cells(fileobj, kind)
    first = next(cells_iter, None)
    if first is None:
        raise FileFormatError("EMPTY_FILE", _("文件为空。"))
    positions = header_columns(first[1])
    wanted = {c: positions[c] for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in positions}
    rows = []
    for number, cells in cells_iter:
        if not any(cells):
            continue
        rows.append((number, {c: (cells[i] if i < len(cells) else "") for c, i in wanted.items()}))
        if len(rows) > MAX_ROWS:
            raise FileFormatError("TOO_MANY_ROWS", _("每个文件最多 %(n)d 行明细。") % {"n": MAX_ROWS})
    return rows


# --- the job ---------------------------------------------------------------------------------------

def create_upload_job(*, institution: Institution, uploaded_file, user=None) -> UploadJob:
    """Check the file's type and header now and store it as a job; claims.tasks.submit_upload_job enqueues it."""
    suffix = Path(uploaded_file.name or "").suffix.lower()
    if suffix not in FILE_TYPES:
        raise ServiceError.one("file", "UNSUPPORTED_FILE_TYPE", _("只支持 .csv 或 .xlsx 文件。"))
    if uploaded_file.size > MAX_FILE_BYTES:
        raise ServiceError.one("file", "FILE_TOO_LARGE",
                               _("文件不能超过 %(n)d MB。") % {"n": MAX_FILE_BYTES // (1024 * 1024)})
    try:
        first = next(iter_cells(uploaded_file, suffix), None)
        if first is None:
            raise FileFormatError("EMPTY_FILE", _("文件为空。"))
        header_columns(first[1])
    except FileFormatError as exc:
        raise ServiceError.one("file", exc.code, exc.message) from exc
    uploaded_file.seek(0)
    original = Path(uploaded_file.name).name[:255]
    uploaded_file.name = f"{uuid.uuid4().hex}{suffix}"
    return UploadJob.objects.create(
        institution=institution, file=uploaded_file, file_name=original,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def _abandoned() -> dict:
    """The failure of a job whose worker was lost on every attempt (core.leases.fail_exhausted)."""
    return {"errors": [_error(None, "", "", "", "WORKER_LOST",
                              _("导入中断：处理该文件的进程多次丢失（%(n)d 次），已停止重试。")
                              % {"n": settings.JOB_MAX_ATTEMPTS})]}


def process_upload_job(job_id: int, wait: bool = True) -> bool:
    """Import the job's file if it is pending or its worker died; False when it is finished or a live worker has it.

    The job is a lease (core.leases): claimed with an owner token, renewed by a heartbeat while the file is
    imported, finished by an update fenced by the token (_finish); a job whose worker was killed is taken
    again by the next delivery of its task or by the sweeper (claims.tasks.sweep_jobs)."""
    taken = leases.take(UploadJob, job_id, lease_seconds=settings.JOB_LEASE_SECONDS,
                        max_attempts=settings.JOB_MAX_ATTEMPTS, failure=_abandoned(), wait=wait)
    if taken is None:
        return False
    with leases.Heartbeat(UploadJob, job_id, taken.token, settings.JOB_LEASE_SECONDS):
        try:
            return _process_claimed(job_id)
        except leases.LeaseLost:
            log.warning("upload job %s: lease lost to another worker, its result not written", job_id)
            return False


def _process_claimed(job_id: int) -> bool:
    """Import the file of a job whose lease this worker holds (job.lease_owner: its token)."""
    job = UploadJob.objects.select_related("institution", "created_by").get(pk=job_id)
    try:
        with job.file.open("rb") as fileobj:
            rows = read_rows(fileobj, Path(job.file.name).suffix.lower())
    except FileFormatError as exc:
        _finish(job, JobStatus.FAILED, [_error(None, "", "", "file", exc.code, exc.message)], 0, 0, 0)
        return True
    try:
        _import_rows(job, rows)
    except Exception:
        log.exception("upload job %s failed", job_id)
        # the import's transaction was rolled back (or died with its backend): nothing of the file is written
        connection.close_if_unusable_or_obsolete()
        UploadJob.objects.filter(pk=job_id, lease_owner=job.lease_owner).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), rows_done=0, accepted=0, rejected=0,
            errors=[_error(None, "", "", "", "INTERNAL_ERROR", _("导入中断，未导入任何明细；可重试。"))])
        raise
    return True


def upload_jobs_to_send() -> list[int]:
    """For the sweeper: the jobs whose worker died (lease lapsed) and the pending ones whose task never reached a
    worker (JOB_RESEND_AFTER_SECONDS after it was sent or the job created); jobs out of attempts fail."""
    leases.fail_exhausted(UploadJob, settings.JOB_MAX_ATTEMPTS, _abandoned())
    due = leases.due_for_resend(UploadJob.objects.all(), created_field="created_at",
                                resend_after_seconds=settings.JOB_RESEND_AFTER_SECONDS)
    return list(due.order_by("pk").values_list("pk", flat=True))


def upload_jobs_sent(job_ids) -> None:
    """Note that these jobs' tasks were handed to the broker (claims.tasks)."""
    leases.mark_sent(UploadJob, job_ids)


def retry_upload_job(job: UploadJob) -> bool:
    """Put a job that failed for an internal reason (nothing of it written) back to pending; False otherwise.
    A rejected file (bad rows) is not retried: it would be rejected again."""
    return bool(UploadJob.objects.filter(pk=job.pk, status=JobStatus.FAILED, errors__0__code="INTERNAL_ERROR").update(
        status=JobStatus.PENDING, started_at=None, finished_at=None, rows_done=0, accepted=0, rejected=0, errors=[],
        lease_owner="", lease_expires_at=None, attempts=0, enqueued_at=None))


class _FileRejected(Exception):
    """Raised inside the import's transaction to roll every visit of a file with a bad row back."""


def _import_rows(job: UploadJob, rows: list[tuple[int, dict]]) -> None:
    """Import the file whole or not at all (docs/architecture.md, "Bulk files"): every visit goes in through
    upload_fee_lines inside one transaction; when any row is bad the transaction is rolled back, the job fails
    with every bad row listed and no row is written. A backend lost mid-import leaves the same: nothing.

    The job's row is not written inside the transaction (a lock held for the whole import would block whoever
    reports on the job), so rows_done goes from 0 to the total at the end."""
    UploadJob.objects.filter(pk=job.pk).update(rows_total=len(rows))
    keyed: list[tuple[int, dict]] = []  # (sort key, error)
    groups: dict[str, list[tuple[int, dict]]] = {}
    for number, rec in rows:
        if not rec["mdtrt_id"]:
            keyed.append((number, _error(number, "", rec["feedetl_sn"], "mdtrt_id", "REQUIRED", _("必填。"))))
        else:
            groups.setdefault(rec["mdtrt_id"], []).append((number, rec))
    try:
        with transaction.atomic():
            visits = {v.mdtrt_id: v for v in Visit.objects.filter(institution=job.institution,
                                                                  mdtrt_id__in=list(groups))}
            for mdtrt_id, group in groups.items():
                errors = _import_visit(job, visits.get(mdtrt_id), mdtrt_id, group)
                keyed.extend((e["row"] if e["row"] is not None else group[0][0], e) for e in errors)
            if keyed:
                raise _FileRejected
            # finished in the import's transaction: a worker that lost its lease writes nothing at all
            _finish(job, JobStatus.DONE, [], len(rows), len(rows), 0)
    except _FileRejected:
        keyed.sort(key=lambda item: (item[0], item[1]["row"] is not None))
        bad = len({e["row"] for _k, e in keyed if e["row"] is not None and e["code"] != "VISIT_REJECTED"})
        summary = _error(None, "", "", "file", "FILE_REJECTED",
                         _("文件中有 %(n)d 行错误，整个文件未导入；请改正后重新上传。") % {"n": bad})
        _finish(job, JobStatus.FAILED, [summary, *(e for _k, e in keyed)], len(rows), 0, len(rows))


def _import_visit(job: UploadJob, visit: Visit | None, mdtrt_id: str, group: list[tuple[int, dict]]) -> list[dict]:
    """Upload one visit's rows (in a savepoint); the errors (one at least per row) when the visit is refused."""
    if visit is None:
        return [_error(n, mdtrt_id, rec["feedetl_sn"], "mdtrt_id", "UNKNOWN_VISIT",
                       _("本机构没有就诊ID %(id)s。") % {"id": mdtrt_id}) for n, rec in group]
    lines = [{c: rec[c] for c in LINE_COLUMNS if c in rec} for _n, rec in group]
    try:
        upload_fee_lines(visit, lines, source=UploadSource.FILE, user=job.created_by)
    except ServiceError as exc:
        errors = exc.errors
    except (IntegrityError, DataError) as exc:
        # validate_lines should have refused the row; the database did: its code, never its text
        log.warning("upload job %s: the database refused visit %s: %s", job.pk, mdtrt_id, exc)
        errors = [database_error(exc)]
    else:
        return []
    out, bad = [], set()
    for e in errors:
        i = e.get("line")
        if i is not None and 0 <= i < len(group):
            bad.add(i)
            out.append(_error(group[i][0], mdtrt_id, group[i][1]["feedetl_sn"], e["field"], e["code"], e["message"]))
        else:  # about the whole visit (settled, too many lines)
            out.append(_error(None, mdtrt_id, "", e["field"], e["code"], e["message"]))
    out.extend(_error(n, mdtrt_id, rec["feedetl_sn"], "", "VISIT_REJECTED",
                      _("同一就诊的其他行有错误。"))
               for i, (n, rec) in enumerate(group) if i not in bad)
    return out


def database_error(exc: Exception) -> dict:
    """An error the database raised, as the API's code and message (its own text stays in the log)."""
    if isinstance(exc, IntegrityError):
        return {"line": None, "field": "", "code": "CONFLICT",
                "message": _("数据与已有记录冲突(如流水号重复)，未导入。")}
    return {"line": None, "field": "", "code": "INVALID_VALUE",
            "message": _("数据超出允许的范围或格式，未导入。")}


def _finish(job: UploadJob, status: str, errors: list[dict], done: int, accepted: int, rejected: int) -> None:
    """The job's result, written only while its lease is this worker's (job.lease_owner, read after the claim);
    raises core.leases.LeaseLost otherwise."""
    leases.release(UploadJob, job.pk, job.lease_owner, status=status, errors=errors, rows_done=done,
                   accepted=accepted, rejected=rejected, finished_at=timezone.now())


def errors_csv(job: UploadJob) -> bytes:
    """The per-row error report, UTF-8 with a byte-order mark so that Excel shows the Chinese; a cell a spreadsheet
    would run as a formula is quoted (core.spreadsheet)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(ERROR_COLUMNS)
    for e in job.errors:
        writer.writerow(safe_row("" if e.get(c) is None else e.get(c) for c in ERROR_COLUMNS))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
