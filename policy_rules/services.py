"""Verbs on policy versions: import (validated, all-or-nothing), activate, export, and look-up."""
from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import yaml
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from policy_rules.engine.pack import PolicyPack, PolicyPackError, parse_pack
from policy_rules.models import PolicyStatus, PolicyVersion

__all__ = [
    "PolicyPackError",
    "activate_policy_version",
    "dump_policy_document",
    "export_policy_pack",
    "import_policy_pack",
    "load_policy_document",
    "policy_in_force",
    "retire_policy_version",
]

_YAML_LITERAL_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


class _PackYamlLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps numbers and dates as the text written (0.80 stays "0.80"),
    so money and ratios never pass through binary floats; null and booleans keep their meaning."""


_PackYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_LITERAL_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _error(key: str, message: str) -> PolicyPackError:
    return PolicyPackError([{"key": key, "message": message}])


def load_policy_document(content: bytes | str, filename: str = "") -> dict:
    """Parse a pack file's content; YAML when the name ends in .yaml/.yml, JSON otherwise."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _error("", f"文件不是UTF-8编码: {exc}") from exc
    if Path(filename).suffix.lower() in {".yaml", ".yml"}:
        try:
            doc = yaml.load(content, Loader=_PackYamlLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise _error("", f"YAML格式错误: {exc}") from exc
    else:
        try:
            doc = json.loads(content)
        except json.JSONDecodeError as exc:
            raise _error("", f"JSON格式错误: 第{exc.lineno}行第{exc.colno}列: {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise _error("", "政策包必须是一个JSON/YAML对象。")
    return doc


def dump_policy_document(doc: dict, filename: str = "") -> str:
    if Path(filename).suffix.lower() in {".yaml", ".yml"}:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _lock_region(region: str) -> None:
    """Serialise imports and activations of one region (PostgreSQL advisory lock, released at commit)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"policy_rules.region:{region}"])


def _overlapping_active(region: str, start: datetime.date, end: datetime.date | None, exclude_pk=None):
    qs = PolicyVersion.objects.active().filter(region=region)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
    if end is not None:
        qs = qs.filter(effective_from__lte=end)
    return qs.order_by("effective_from")


def _check_no_overlap(region, start, end, exclude_pk=None) -> None:
    clash = _overlapping_active(region, start, end, exclude_pk).first()
    if clash is not None:
        raise _error(
            "effective_from",
            f"有效期与统筹区{region}的生效政策包{clash.code}"
            f"({clash.effective_from}~{clash.effective_to or ''})重叠。",
        )


# Layers the engine settles (docs/benefit-layers.md) but the platform does not pay in full yet. A pack using
# them is refused here, by name, rather than settled and half paid. The civil-servant subsidy, veterans and
# maternity are stored (the settlement's columns, parallel enrollments, employers' wages); 门慢特 (chronic) pays
# in the stored amounts and reads insurance.ChronicQualification, its per-disease capitation is paid and
# reconciled by the statements (fund_budget.chronic_capitation). None is left.
NOT_YET_STORED: tuple[str, ...] = ()


def import_policy_pack(doc: dict, *, user=None, source_name: str = "", activate: bool = True) -> PolicyVersion:
    """Validate a pack and store it as a policy version (active unless activate=False).

    Raises PolicyPackError naming every key at fault; nothing is stored then.
    """
    pack: PolicyPack = parse_pack(doc)
    for key in NOT_YET_STORED:
        head, _dot, tail = key.partition(".")
        value = getattr(pack, head)
        if value is not None and tail:
            value = getattr(value, tail) or None
        if value is not None:
            raise _error(key, f"{key} 层已有结算规则（docs/benefit-layers.md），但平台尚不能存储其结算金额与待遇资格，暂不能导入。")
    document = copy.deepcopy(doc)
    with transaction.atomic():
        _lock_region(pack.region)
        if PolicyVersion.objects.filter(code=pack.code).exists():
            raise _error("code", f"政策包编码{pack.code}已存在。")
        if activate:
            _check_no_overlap(pack.region, pack.effective_from, pack.effective_to)
        return PolicyVersion.objects.create(
            code=pack.code,
            name=pack.name,
            region=pack.region,
            effective_from=pack.effective_from,
            effective_to=pack.effective_to,
            status=PolicyStatus.ACTIVE if activate else PolicyStatus.DRAFT,
            document=document,
            source_name=source_name[:255],
            imported_by=user if (user is not None and user.is_authenticated) else None,
        )


def activate_policy_version(version: PolicyVersion) -> PolicyVersion:
    """Make a draft (or retired) version active, refusing an overlap with another active one."""
    with transaction.atomic():
        _lock_region(version.region)
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != PolicyStatus.ACTIVE:
            parse_pack(version.document)
            _check_no_overlap(version.region, version.effective_from, version.effective_to, exclude_pk=version.pk)
            version.status = PolicyStatus.ACTIVE
            version.save(update_fields=["status"])
    return version


def retire_policy_version(version: PolicyVersion) -> PolicyVersion:
    """Take a version out of force; settlements keep pointing at it."""
    PolicyVersion.objects.filter(pk=version.pk).update(status=PolicyStatus.RETIRED)
    version.refresh_from_db(fields=["status"])
    return version


def export_policy_pack(version: PolicyVersion) -> dict:
    """The pack exactly as it was imported."""
    return copy.deepcopy(version.document)


def policy_in_force(region: str, when: datetime.date | datetime.datetime) -> PolicyVersion | None:
    """The active version of a region governing a date (or a settlement time, by its local date)."""
    if isinstance(when, datetime.datetime):
        when = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    return PolicyVersion.objects.active().filter(region=region).covering(when).order_by("-effective_from").first()
