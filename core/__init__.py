"""What every app shares and no app owns: periods of the bureau's calendar and PostgreSQL's COPY.

core depends on Django and the scientific stack only, never on the project's own apps.
"""
