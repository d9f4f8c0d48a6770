"""What the factory modules share: the demo policy pack on disk, local times, Decimal."""
import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
DEMO_PACK_PATH = ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json"
D = Decimal


def demo_pack(**overrides) -> dict:
    """A fresh copy of the demo policy pack, with top-level keys overridden."""
    doc = json.loads(DEMO_PACK_PATH.read_text(encoding="utf-8"))
    doc.update(overrides)
    return doc


def local_dt(*args) -> datetime.datetime:
    """An aware datetime in the project's time zone: local_dt(2026, 3, 10, 10)."""
    return timezone.make_aware(datetime.datetime(*args))
