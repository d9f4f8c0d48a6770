"""The one error type services raise for bad input: a machine-readable list, nothing written."""
from __future__ import annotations


class ServiceError(Exception):
    """errors: [{"line": index in the request or None, "field": name, "code": CODE, "message": text}]"""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(
            (f"line {e['line']}: " if e.get("line") is not None else "") + f"{e['field']}: {e['message']}"
            for e in errors
        ))

    @classmethod
    def one(cls, field: str, code: str, message: str, line: int | None = None) -> ServiceError:
        return cls([{"line": line, "field": field, "code": code, "message": str(message)}])
