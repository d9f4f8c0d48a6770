"""Who reaches the intake routes of the provider API: persons, visits, fee lines and upload jobs
(tests/api/isolation.py gives every declaration its 401, 403, 404 and owner tests)."""
import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import UploadJobFactory, certno_for

from .base import CASE01_BEGNTIME, CASE01_ENDTIME, APITestBase
from .isolation import (
    InstitutionEndpointTests,
    InstitutionScopedEndpointTests,
    TemporaryMediaRoot,
    registered_visit,
)

LINE = {"feedetl_sn": "99", "med_list_codg": "250101001", "cnt": "1", "pric": "1", "det_item_fee_sumamt": "1.00"}
CSV = b"mdtrt_id,feedetl_sn,med_list_codg,cnt,pric,det_item_fee_sumamt\nM-NOPE,1,X,1,1,1.00\n"


# --- persons: any institution's user may look up any insured person (registration needs it), so these
# routes are not scoped to an institution; they still require a user linked to one.

class PersonSearch(InstitutionEndpointTests, APITestBase):
    url_name = "person-search"
    methods = ("post",)
    body = {"certno": certno_for(dt.date(1970, 5, 1), 1)}  # P0001's identity number, in the body


class PersonDetail(InstitutionEndpointTests, APITestBase):
    url_name = "person-detail"

    def url_kwargs(self):
        return {"psn_no": "P0001"}


# --- visits ------------------------------------------------------------------------------------------------

class VisitList(InstitutionEndpointTests, APITestBase):
    url_name = "visit-list"
    methods = ("get", "post")
    body = {"psn_no": "P0001", "med_type": "21", "begntime": CASE01_BEGNTIME}


class VisitDetail(InstitutionScopedEndpointTests, APITestBase):
    url_name = "visit-detail"

    def make_object(self, institution):
        return {"mdtrt_id": registered_visit(self, institution)}


class VisitDischarge(InstitutionScopedEndpointTests, APITestBase):
    url_name = "visit-discharge"
    methods = ("post",)
    body = {"endtime": CASE01_ENDTIME}

    def make_object(self, institution):
        return {"mdtrt_id": registered_visit(self, institution)}


class VisitFeeLines(InstitutionScopedEndpointTests, APITestBase):
    url_name = "visit-fee-lines"
    methods = ("get", "post")
    body = {"lines": [LINE]}

    def make_object(self, institution):
        return {"mdtrt_id": registered_visit(self, institution)}


class VisitCancelFeeLines(InstitutionScopedEndpointTests, APITestBase):
    url_name = "visit-cancel-fee-lines"
    methods = ("post",)
    body = {"all": True}

    def make_object(self, institution):
        return {"mdtrt_id": registered_visit(self, institution)}


# --- upload jobs -------------------------------------------------------------------------------------------

class UploadJobList(TemporaryMediaRoot, InstitutionEndpointTests, APITestBase):
    url_name = "upload-job-list"
    methods = ("get", "post")
    format = "multipart"

    def request_data(self, method):
        return None if method == "get" else {"file": SimpleUploadedFile("a.csv", CSV)}


class UploadJobDetail(TemporaryMediaRoot, InstitutionScopedEndpointTests, APITestBase):
    url_name = "upload-job-detail"

    def make_object(self, institution):
        return {"pk": UploadJobFactory(institution=institution).pk}


class UploadJobErrors(TemporaryMediaRoot, InstitutionScopedEndpointTests, APITestBase):
    url_name = "upload-job-errors"

    def make_object(self, institution):
        return {"pk": UploadJobFactory(institution=institution).pk}
