"""The parsed policy pack is cached by its document's digest: two databases (or two case files run in one
process) whose versions share a row id and a code but not a document never get each other's pack."""
import copy
import json
from pathlib import Path

from claims.settlement.loading import pack_digest, parsed_pack
from policy_rules.models import PolicyVersion

PACK = json.loads((Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "demo-city-2026.json")
                  .read_text(encoding="utf-8"))


def test_same_id_and_code_different_document_different_pack():
    other = copy.deepcopy(PACK)
    other["default_selfpay_prop"] = "0.25" if PACK.get("default_selfpay_prop") != "0.25" else "0.30"
    first = parsed_pack(PolicyVersion(pk=1, code=PACK["code"], document=PACK))
    second = parsed_pack(PolicyVersion(pk=1, code=PACK["code"], document=other))
    assert first is not second
    assert first.default_selfpay_prop_e6 != second.default_selfpay_prop_e6


def test_equal_documents_share_one_parse():
    again = json.loads(json.dumps(PACK))
    assert pack_digest(again) == pack_digest(PACK)
    assert parsed_pack(PolicyVersion(pk=2, document=again)) is parsed_pack(PolicyVersion(pk=3, document=PACK))
