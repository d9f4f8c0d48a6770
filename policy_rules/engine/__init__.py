"""The one adjudication engine: pure Python and pandas, no Django. Frames in, frames out."""
from .adjudicate import EngineInputError, Result, adjudicate, classify
from .pack import PolicyPack, PolicyPackError, parse_pack

__all__ = ["EngineInputError", "PolicyPack", "PolicyPackError", "Result", "adjudicate", "classify", "parse_pack"]
