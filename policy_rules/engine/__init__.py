"""The one adjudication engine: pure Python and pandas, no Django. Frames in, frames out."""
from .adjudicate import EngineInputError, Result, adjudicate
from .pack import PolicyPack, PolicyPackError, parse_pack

__all__ = ["EngineInputError", "PolicyPack", "PolicyPackError", "Result", "adjudicate", "parse_pack"]
