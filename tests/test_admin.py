"""The admin: every page renders, money is read-only, and the two import pages work."""
import io
import json
import zipfile

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import FeeLine, Settlement, Visit
from claims.roles import ensure_roles
from insurance.models import AccountMovement, Person
from policy_rules.catalog_import import COLUMNS
from policy_rules.models import CatalogItem, PolicyStatus, PolicyVersion
from tests import factories as f
from tests.factories import FACTORIES, FUND_READ_ONLY

pytestmark = pytest.mark.django_db

READ_ONLY = {
    "insurance.personalaccount", "insurance.accountmovement", "claims.settlement", "claims.settlementline",
    "claims.accumulator", "claims.settlementaccumulation", "claims.dailyjob", "claims.institutiondailysummary",
    "claims.institutionauditstats", "claims.quarantinedvisit", "review.audithit", "review.suspectitem",
    "review.appeal", "review.reviewevent",
}
READ_ONLY |= FUND_READ_ONLY
DOMAIN_APPS = {"insurance", "policy_rules", "claims", "fund_budget", "review"}


def admin_url(label: str, view: str, *args) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def test_every_registered_domain_model_is_rendered_by_these_tests():
    registered = {m._meta.label_lower for m in admin.site._registry if m._meta.app_label in DOMAIN_APPS}
    assert registered == set(FACTORIES), "add the model's factory to FACTORIES of its app's module in tests/factories/"


@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_changelist_and_change_page_render(admin_client, label):
    obj = FACTORIES[label]()
    changelist = admin_client.get(admin_url(label, "changelist"))
    assert changelist.status_code == 200
    assert admin_url(label, "change", obj.pk) in changelist.content.decode()
    change = admin_client.get(admin_url(label, "change", obj.pk))
    assert change.status_code == 200
    searched = admin_client.get(admin_url(label, "changelist"), {"q": "zzz-nothing"})
    assert searched.status_code == 200


@pytest.mark.parametrize("label", sorted(READ_ONLY))
def test_money_and_batch_records_are_read_only(admin_client, label):
    obj = FACTORIES[label]()
    assert admin_client.get(admin_url(label, "add")).status_code == 403
    assert admin_client.post(admin_url(label, "delete", obj.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(admin_url(label, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in page
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_search_finds_people_by_number_certno_and_name(admin_client):
    person = f.PersonFactory(name="王小明")
    other = f.PersonFactory(name="李四")
    url = admin_url("insurance.person", "changelist")
    for term in (person.psn_no, person.certno, "王小明"):
        page = admin_client.get(url, {"q": term}).content.decode()
        assert person.psn_no in page and other.psn_no not in page


def test_visit_search_and_line_inline(admin_client):
    line = f.FeeLineFactory(feedetl_sn="SN-42", med_list_codg="XA01ABD075A002010100483")
    page = admin_client.get(admin_url("claims.visit", "changelist"), {"q": line.visit.mdtrt_id})
    assert line.visit.mdtrt_id in page.content.decode()
    change = admin_client.get(admin_url("claims.visit", "change", line.visit.pk)).content.decode()
    assert "SN-42" in change and "XA01ABD075A002010100483" in change
    assert 'name="lines-0-feedetl_sn"' not in change  # the inline is read-only


def test_person_with_valid_data_can_be_added(admin_client):
    response = admin_client.post(admin_url("insurance.person", "add"), {
        "psn_no": "P9001", "name": "赵六", "gender": "2", "birth_date": "1949-12-31",
        "certno": "11010519491231002x",
        "enrollments-TOTAL_FORMS": "0", "enrollments-INITIAL_FORMS": "0",
        "employer_wages-TOTAL_FORMS": "0", "employer_wages-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.get(psn_no="P9001").certno == "11010519491231002X"


def test_person_with_bad_certno_is_shown_the_error(admin_client):
    response = admin_client.post(admin_url("insurance.person", "add"), {
        "psn_no": "P9002", "name": "赵六", "gender": "2", "birth_date": "1949-12-31",
        "certno": "110105194912310021",
        "enrollments-TOTAL_FORMS": "0", "enrollments-INITIAL_FORMS": "0",
        "employer_wages-TOTAL_FORMS": "0", "employer_wages-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "身份证号码校验位错误" in response.content.decode()
    assert not Person.objects.filter(psn_no="P9002").exists()


def test_money_models_have_no_add_links_on_the_index(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert admin_url("claims.settlement", "add") not in page
    assert admin_url("insurance.accountmovement", "add") not in page
    assert admin_url("claims.visit", "add") in page
    assert Settlement.objects.count() == 0 and AccountMovement.objects.count() == 0


# --- policy pack import / export -------------------------------------------------------------------------

def pack_upload(doc: dict, name: str = "pack.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def test_policy_changelist_links_to_import(admin_client):
    page = admin_client.get(admin_url("policy_rules.policyversion", "changelist")).content.decode()
    assert admin_url("policy_rules.policyversion", "import") in page and "导入政策包" in page
    form = admin_client.get(admin_url("policy_rules.policyversion", "import"))
    assert form.status_code == 200 and 'type="file"' in form.content.decode()


def test_policy_import_view_accepts_a_good_pack(admin_client, admin_user):
    response = admin_client.post(admin_url("policy_rules.policyversion", "import"),
                                 {"file": pack_upload(f.demo_pack(), "demo.json")})
    assert response.status_code == 302
    version = PolicyVersion.objects.get()
    assert (version.code, version.status, version.imported_by, version.source_name) == (
        "DEMO-2026", PolicyStatus.ACTIVE, admin_user, "demo.json",
    )
    page = admin_client.get(response["Location"]).content.decode()
    assert "DEMO-2026" in page


def test_policy_import_view_accepts_yaml_as_draft(admin_client):
    import yaml

    upload = SimpleUploadedFile("demo.yaml", yaml.safe_dump(f.demo_pack(), allow_unicode=True).encode("utf-8"))
    response = admin_client.post(admin_url("policy_rules.policyversion", "import"), {"file": upload, "draft": "on"})
    assert response.status_code == 302
    assert PolicyVersion.objects.get().status == PolicyStatus.DRAFT


def test_policy_import_view_shows_the_keys_of_a_bad_pack(admin_client):
    doc = f.demo_pack()
    doc["benefits"][2]["ratio"]["by_level"]["3"] = "1.5"
    doc["benefits"][1]["cap_group"] = "no_such_group"
    response = admin_client.post(admin_url("policy_rules.policyversion", "import"), {"file": pack_upload(doc)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "benefits[2].ratio.by_level.3" in page and "benefits[1].cap_group" in page
    assert page.count('class="import-error"') == 2
    assert PolicyVersion.objects.count() == 0


def test_policy_import_view_refuses_other_file_types(admin_client):
    upload = SimpleUploadedFile("pack.txt", b"{}")
    response = admin_client.post(admin_url("policy_rules.policyversion", "import"), {"file": upload})
    assert response.status_code == 200 and "不支持的文件类型" in response.content.decode()
    assert PolicyVersion.objects.count() == 0


def test_policy_export_link_and_actions(admin_client):
    first = f.PolicyVersionFactory(code="A-2026")
    second = f.PolicyVersionFactory(code="B-2026", region="410900")
    change = admin_client.get(admin_url("policy_rules.policyversion", "change", first.pk)).content.decode()
    export_url = admin_url("policy_rules.policyversion", "export", first.pk)
    assert export_url in change
    download = admin_client.get(export_url)
    assert download["Content-Disposition"] == 'attachment; filename="A-2026.json"'
    assert json.loads(download.content) == first.document

    changelist = admin_url("policy_rules.policyversion", "changelist")
    one = admin_client.post(changelist, {"action": "export_packs", "_selected_action": [first.pk]})
    assert json.loads(one.content) == first.document
    both = admin_client.post(changelist, {"action": "export_packs", "_selected_action": [first.pk, second.pk]})
    with zipfile.ZipFile(io.BytesIO(both.content)) as archive:
        assert sorted(archive.namelist()) == ["A-2026.json", "B-2026.json"]
        assert json.loads(archive.read("B-2026.json")) == second.document


def test_policy_activate_and_retire_actions(admin_client):
    active = f.PolicyVersionFactory(code="A-2026")
    draft = f.PolicyVersionFactory(code="A-2026-REV", status=PolicyStatus.DRAFT)
    changelist = admin_url("policy_rules.policyversion", "changelist")
    response = admin_client.post(changelist, {"action": "activate_versions", "_selected_action": [draft.pk]},
                                 follow=True)
    assert "effective_from" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT
    admin_client.post(changelist, {"action": "retire_versions", "_selected_action": [active.pk]})
    admin_client.post(changelist, {"action": "activate_versions", "_selected_action": [draft.pk]})
    active.refresh_from_db()
    draft.refresh_from_db()
    assert (active.status, draft.status) == (PolicyStatus.RETIRED, PolicyStatus.ACTIVE)


def test_only_draft_versions_may_be_deleted(admin_client):
    active = f.PolicyVersionFactory()
    draft = f.PolicyVersionFactory(status=PolicyStatus.DRAFT, effective_from=active.effective_from)
    assert admin_client.post(admin_url("policy_rules.policyversion", "delete", active.pk),
                             {"post": "yes"}).status_code == 403
    assert admin_client.post(admin_url("policy_rules.policyversion", "delete", draft.pk),
                             {"post": "yes"}).status_code == 302
    assert list(PolicyVersion.objects.all()) == [active]


# --- catalog import ------------------------------------------------------------------------------------

CATALOG_CSV = ",".join(COLUMNS) + "\nXA01,阿莫西林胶囊,drug,01,,,,,,,\nXA02,依那普利片,drug,02,0.1,2.50,,,,,\n"


def test_catalog_import_view_accepts_a_good_csv(admin_client):
    page = admin_client.get(admin_url("policy_rules.catalogitem", "changelist")).content.decode()
    assert admin_url("policy_rules.catalogitem", "import") in page
    upload = SimpleUploadedFile("catalog.csv", CATALOG_CSV.encode("utf-8"))
    response = admin_client.post(admin_url("policy_rules.catalogitem", "import"),
                                 {"file": upload, "effective_from": "2026-01-01"})
    assert response.status_code == 302
    assert sorted(CatalogItem.objects.values_list("med_list_codg", flat=True)) == ["XA01", "XA02"]


def test_catalog_import_view_accepts_xlsx(admin_client):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(list(COLUMNS))
    book.active.append(["XA01", "阿莫西林胶囊", "drug", "01"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("catalog.xlsx", buffer.getvalue())
    response = admin_client.post(admin_url("policy_rules.catalogitem", "import"),
                                 {"file": upload, "effective_from": "2026-01-01"})
    assert response.status_code == 302
    assert CatalogItem.objects.get().name == "阿莫西林胶囊"


def test_catalog_import_view_shows_row_errors(admin_client):
    text = CATALOG_CSV + "XA03,,drug,09,,,,,,,\n"
    upload = SimpleUploadedFile("catalog.csv", text.encode("utf-8"))
    response = admin_client.post(admin_url("policy_rules.catalogitem", "import"),
                                 {"file": upload, "effective_from": "2026-01-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="import-error"') == 2
    assert "<td>4</td><td>chrg_lv</td>" in page and "<td>4</td><td>name</td>" in page
    assert CatalogItem.objects.count() == 0


def test_catalog_import_view_needs_a_date(admin_client):
    upload = SimpleUploadedFile("catalog.csv", CATALOG_CSV.encode("utf-8"))
    response = admin_client.post(admin_url("policy_rules.catalogitem", "import"), {"file": upload})
    assert response.status_code == 200 and "effective_from" in response.content.decode()
    assert CatalogItem.objects.count() == 0


def test_import_pages_need_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(admin_url("policy_rules.policyversion", "import")).status_code == 403
    assert client.get(admin_url("policy_rules.catalogitem", "import")).status_code == 403


def test_fee_line_classification_is_not_editable(admin_client):
    line = f.FeeLineFactory()
    page = admin_client.get(admin_url("claims.feeline", "change", line.pk)).content.decode()
    assert 'name="det_item_fee_sumamt"' in page and 'name="inscp_scp_amt"' not in page
    assert FeeLine.objects.filter(pk=line.pk).exists() and Visit.objects.count() == 1



def test_admin_is_branded_in_chinese_and_english(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "医保结算审核平台 管理" in html and "Django" not in html.split("<body")[1].split("</header>")[0]
    assert "<title>管理首页 | 医保结算审核平台</title>" in html
    english = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Medical Insurance Settlement and Audit Platform administration" in english


def test_admin_groups_apps_in_the_order_of_the_work_with_chinese_names(admin_client):
    response = admin_client.get(reverse("admin:index"))
    names = [app["name"] for app in response.context["app_list"]]
    assert [str(n) for n in names] == ["参保与机构", "政策与目录", "就诊与结算", "智能审核", "基金预算",
                                       "用户与角色", "接口令牌", "登录安全"]


def test_admin_shows_roles_in_chinese(admin_client):
    ensure_roles()
    user = f.UserFactory(username="shenhe9", roles=["reviewer", "user_admin"])
    groups = admin_client.get(reverse("admin:auth_group_changelist")).content.decode()
    for label in ("经办人员", "审核员", "申诉复核员", "稽核主管", "用户管理员"):
        assert label in groups
    users = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "审核员、用户管理员" in users
    change = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert "审核员 (reviewer)" in change
