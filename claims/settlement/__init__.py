"""Settlement: a visit through the one engine and into the books.

loading         the ORM reader: model rows → the engine's frames
services        pre-settle, settle, settle many, cancel (2303/2304/2305)
reconciliation  the institution's totals against the platform's (3201)
cases           the shared case files run end to end through these services
"""
