"""Bulk fee-line files (CSV/XLSX): 202 and a job, processed by the Celery task after commit, every row
checked by validate_lines, a file with a bad row rejected whole (nothing written, every bad row listed), the
error report as CSV with formula-like cells quoted."""
import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from claims.intake import files as bulk_upload
from claims.models import FeeLine, JobStatus, UploadJob, UploadSource

from .base import APITestBase
from .isolation import TemporaryMediaRoot

HEADER = ["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt"]


def csv_file(rows, header=HEADER, name="lines.csv", encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows, header=HEADER, name="lines.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class UploadJobTestBase(TemporaryMediaRoot, APITestBase):
    def post_file(self, upload, client=None, run=True):
        with self.captureOnCommitCallbacks(execute=run) as callbacks:
            response = (client or self.client).post("/api/v1/upload-jobs/", {"file": upload}, format="multipart")
        self.callbacks = callbacks
        return response

    def job(self, response) -> dict:
        assert response.status_code == 202, response.content
        return self.client.get(f"/api/v1/upload-jobs/{response.json()['id']}/").json()

    def error_report(self, job_id, client=None):
        response = (client or self.client).get(f"/api/v1/upload-jobs/{job_id}/errors.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


class UploadJobTests(UploadJobTestBase):
    def setUp(self):
        super().setUp()
        self.good = self.registered()
        self.bad = self.registered(psn_no="P0002")

    def test_a_file_with_a_bad_row_is_rejected_whole_with_every_bad_row_listed(self):
        # before issue 15 the good visit went in and the job was "done": now the file lands whole or not at all
        rows = [
            [self.good, "1", "250101001", "1", "25.00", "25.00"],
            [self.bad, "1", "250101001", "2", "25.00", "50.00"],
            [self.good, "2", "NOT-IN-CATALOG", "1", "300", "300.00"],
            [self.bad, "2", "250101001", "2", "25.00", "51.00"],  # amount ≠ cnt × pric
            [self.bad, "3", "", "1", "1", "1.00"],  # no code
        ]
        response = self.post_file(csv_file(rows))
        assert response.status_code == 202, response.content
        assert response["Location"].endswith(f"/api/v1/upload-jobs/{response.json()['id']}/")
        job = self.job(response)
        assert job["status"] == "failed"
        assert (job["rows_total"], job["rows_done"], job["accepted"], job["rejected"]) == (5, 5, 0, 5)
        assert not FeeLine.objects.exists()
        report = self.error_report(job["id"])
        assert [(r["row"], r["feedetl_sn"], r["field"], r["code"]) for r in report] == [
            ("", "", "file", "FILE_REJECTED"),
            ("3", "1", "", "VISIT_REJECTED"),
            ("5", "2", "det_item_fee_sumamt", "AMOUNT_MISMATCH"),
            ("6", "3", "med_list_codg", "REQUIRED"),
        ]
        assert all(r["mdtrt_id"] == self.bad and r["message"] for r in report[1:])
        assert job["error_count"] == 4 and job["errors"][2]["row"] == 5

    def test_a_good_file_goes_in_whole(self):
        rows = [[self.good, "1", "250101001", "1", "25.00", "25.00"],
                [self.bad, "1", "250101001", "2", "25.00", "50.00"],
                [self.good, "2", "NOT-IN-CATALOG", "1", "300", "300.00"]]
        job = self.job(self.post_file(csv_file(rows)))
        assert job["status"] == "done" and job["progress"] == 100 and job["errors"] == []
        assert (job["rows_total"], job["rows_done"], job["accepted"], job["rejected"]) == (3, 3, 3, 0)
        assert set(FeeLine.objects.filter(visit__mdtrt_id=self.good).values_list("feedetl_sn", flat=True)) == {
            "1", "2"}
        assert FeeLine.objects.get(visit__mdtrt_id=self.good, feedetl_sn="2").reason == "NOT_IN_CATALOG"
        assert FeeLine.objects.filter(upload__source=UploadSource.FILE, upload__created_by=self.w.user_a).count() == 3

    def test_bounds_are_those_of_the_api_and_the_report_quotes_formulas(self):
        rows = [[self.good, "=1+cmd|' /C calc'!A0", "250101001", "1", "25.00", "25.00"],
                [self.good, "2", "@SUM(A1)", "1e20", "0", "0"],
                [self.good, "3\x07", "250101001", "1", "25.00", "25.00"],
                [self.good, "4", "250101001", "1", "25.00", "25.00"]]
        job = self.job(self.post_file(csv_file(rows)))
        assert job["status"] == "failed" and not FeeLine.objects.exists()
        codes = {(e["row"], e["field"], e["code"]) for e in job["errors"]}
        assert {(3, "cnt", "OUT_OF_RANGE"), (4, "feedetl_sn", "CONTROL_CHARACTER")} <= codes, codes
        text = self.client.get(f"/api/v1/upload-jobs/{job['id']}/errors.csv").content.decode("utf-8")
        cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
        assert "'=1+cmd|' /C calc'!A0" in cells and "=1+cmd|' /C calc'!A0" not in cells
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]

    def test_xlsx_with_numeric_cells_and_optional_columns(self):
        header = [*HEADER, "fee_ocur_time", "bilg_dept_codg", "备注"]
        rows = [[self.good, 1, "250101001", 3, 0.1, 0.3, "2026-03-03T08:00:00", "A03", "ignored"],
                [self.good, 2, "250101001", 2, 12.5, 25, None, None, None]]
        job = self.job(self.post_file(xlsx_file(rows, header=header)))
        assert job["status"] == "done" and job["accepted"] == 2, job
        first = FeeLine.objects.get(visit__mdtrt_id=self.good, feedetl_sn="1")
        assert str(first.pric) == "0.1000" and str(first.det_item_fee_sumamt) == "0.30"
        assert first.bilg_dept_codg == "A03" and first.fee_ocur_time is not None

    def test_gbk_csv_with_reordered_upper_case_columns(self):
        header = ["DET_ITEM_FEE_SUMAMT", "pric", "cnt", "med_list_codg", "feedetl_sn", "mdtrt_id", "备注"]
        rows = [["25.00", "25.00", "1", "250101001", "1", self.good, "血常规复查"]]
        job = self.job(self.post_file(csv_file(rows, header=header, encoding="gb18030")))
        assert job["accepted"] == 1, job

    def test_unknown_settled_and_other_institutions_visits_are_rejected(self):
        settled = self.settled_case01()["mdtrt_id"]
        theirs = self.registered(client=self.other_client)
        rows = [["M-NOPE", "1", "250101001", "1", "1", "1.00"],
                [theirs, "1", "250101001", "1", "1", "1.00"],
                [settled, "99", "250101001", "1", "1", "1.00"],
                ["", "1", "250101001", "1", "1", "1.00"],
                [self.good, "1", "250101001", "1", "1", "1.00"]]
        job = self.job(self.post_file(csv_file(rows)))
        assert (job["accepted"], job["rejected"]) == (0, 5)  # the good row too: the file is rejected whole
        codes = {(e["row"], e["code"]) for e in job["errors"]}
        assert {(2, "UNKNOWN_VISIT"), (3, "UNKNOWN_VISIT"), (5, "REQUIRED"), (4, "VISIT_REJECTED")} <= codes
        assert (None, "VISIT_SETTLED") in codes
        assert not FeeLine.objects.filter(visit__mdtrt_id=theirs).exists()
        assert not FeeLine.objects.filter(visit__mdtrt_id=settled, feedetl_sn="99").exists()
        assert not FeeLine.objects.filter(visit__mdtrt_id=self.good).exists()

    def test_rows_already_uploaded_are_unchanged_and_conflicts_reject_the_visit(self):
        self.upload(self.good, [{"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "1", "pric": "25",
                                 "det_item_fee_sumamt": "25.00"}])
        rows = [[self.good, "1", "250101001", "1", "25.00", "25.00"], [self.good, "2", "250101001", "1", "5", "5"],
                [self.bad, "1", "250101001", "1", "25.00", "25.00"]]
        job = self.job(self.post_file(csv_file(rows)))
        assert (job["accepted"], job["rejected"]) == (3, 0)
        assert FeeLine.objects.filter(visit__mdtrt_id=self.good).count() == 2
        rows = [[self.bad, "1", "250101001", "2", "25.00", "50.00"], [self.bad, "9", "250101001", "1", "1", "1"]]
        job = self.job(self.post_file(csv_file(rows)))
        assert (job["accepted"], job["rejected"]) == (0, 2)
        assert [e["code"] for e in job["errors"]] == ["FILE_REJECTED", "SN_CONFLICT", "VISIT_REJECTED"]
        assert not FeeLine.objects.filter(visit__mdtrt_id=self.bad, feedetl_sn="9").exists()

    def test_the_task_is_enqueued_after_commit_and_runs_once(self):
        response = self.post_file(csv_file([[self.good, "1", "250101001", "1", "1", "1.00"]]), run=False)
        assert response.status_code == 202 and response.json()["status"] == "pending"
        assert len(self.callbacks) == 1 and not FeeLine.objects.exists()
        job_id = response.json()["id"]
        self.callbacks[0]()
        assert UploadJob.objects.get(pk=job_id).status == JobStatus.DONE
        assert bulk_upload.process_upload_job(job_id) is False  # a second delivery changes nothing
        assert FeeLine.objects.count() == 1

    def test_list_shows_own_jobs(self):
        self.post_file(csv_file([[self.good, "1", "250101001", "1", "1", "1.00"]]))
        self.post_file(csv_file([[self.good, "2", "250101001", "1", "1", "1.00"]]), client=self.other_client)
        body = self.client.get("/api/v1/upload-jobs/").json()
        assert body["count"] == 1 and body["results"][0]["file_name"] == "lines.csv"


class UploadJobFileTests(UploadJobTestBase):
    def test_file_type_and_header_are_checked_at_once(self):
        self.assert_error(self.post_file(SimpleUploadedFile("lines.txt", b"a,b")), 400, "UNSUPPORTED_FILE_TYPE",
                          field="file")
        self.assert_error(self.post_file(csv_file([], header=["mdtrt_id", "feedetl_sn"])), 400, "MISSING_COLUMNS",
                          field="file")
        self.assert_error(self.post_file(SimpleUploadedFile("lines.csv", b"")), 400, "EMPTY", field="file")
        self.assert_error(self.post_file(SimpleUploadedFile("lines.xlsx", b"not a zip")), 400, "UNREADABLE_FILE")
        self.assert_error(self.post_file(SimpleUploadedFile("lines.csv", b"\xff\xfe\x00\xd8")), 400,
                          "UNREADABLE_FILE")
        response = self.client.post("/api/v1/upload-jobs/", {}, format="multipart")
        self.assert_error(response, 400, "REQUIRED", field="file")
        response = self.client.post("/api/v1/upload-jobs/", {"file": "x"}, format="json")
        self.assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert not UploadJob.objects.exists()

    def test_header_only_file_is_a_finished_empty_job(self):
        job = self.job(self.post_file(csv_file([])))
        assert (job["status"], job["rows_total"], job["accepted"], job["rejected"]) == ("done", 0, 0, 0)
        assert self.error_report(job["id"]) == []

    def test_a_file_that_breaks_later_fails_the_job(self):
        response = self.post_file(csv_file([["M1", "1", "250101001", "1", "1", "1.00"]]), run=False)
        job = UploadJob.objects.get(pk=response.json()["id"])
        with job.file.open("wb") as f:
            f.write(b"no header here\n")
        self.callbacks[0]()
        body = self.client.get(f"/api/v1/upload-jobs/{job.pk}/").json()
        assert body["status"] == "failed"
        assert body["errors"][0]["code"] == "MISSING_COLUMNS" and body["errors"][0]["row"] is None

    def test_unknown_job(self):
        self.assert_error(self.client.get("/api/v1/upload-jobs/999999/"), 404, "NOT_FOUND")
        self.assert_error(self.client.get("/api/v1/upload-jobs/999999/errors.csv"), 404, "NOT_FOUND")


class ReportAndCellTests(UploadJobTestBase):
    def test_errors_csv_answers_an_accept_text_csv_client(self):
        mdtrt_id = self.registered()
        job = self.job(self.post_file(csv_file([[mdtrt_id, "1", "250101001", "1", "1", "2.00"]])))
        response = self.client.get(f"/api/v1/upload-jobs/{job['id']}/errors.csv", HTTP_ACCEPT="text/csv")
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="upload-job-{job["id"]}-errors.csv"'
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["row", "mdtrt_id", "feedetl_sn", "field", "code", "message"]
        assert rows[1][4] == "FILE_REJECTED"
        assert rows[2][:5] == ["2", mdtrt_id, "1", "det_item_fee_sumamt", "AMOUNT_MISMATCH"]

    def test_cell_text_never_passes_money_through_a_float(self):
        import datetime as dt

        assert bulk_upload.cell_text(0.1) == "0.1"
        assert bulk_upload.cell_text(1398.0) == "1398.0"
        assert bulk_upload.cell_text(20) == "20"
        assert bulk_upload.cell_text(None) == ""
        assert bulk_upload.cell_text(" A03 ") == "A03"
        assert bulk_upload.cell_text(dt.datetime(2026, 3, 3, 8, 0)) == "2026-03-03T08:00:00"
