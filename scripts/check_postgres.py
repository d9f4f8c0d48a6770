#!/usr/bin/env python
"""Check that PostgreSQL at $DATABASE_URL can be reached before `make test` runs.

Exits 0 when the server answers. If the database itself does not exist yet, it is created
(the server is reachable, and `DATABASE_URL=... make demo` needs it). Exits 1 with a message in
Chinese and English that says how to start PostgreSQL when it cannot be reached; `make test` never
falls back to SQLite.
"""
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg2
from psycopg2 import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yibao"
CONNECT_TIMEOUT = 5


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def connect_kwargs(cfg: dict, dbname: str) -> dict:
    kwargs = {"dbname": dbname, "connect_timeout": CONNECT_TIMEOUT}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if cfg.get(key):
            kwargs[name] = cfg[key]
    return kwargs


def how_to_start() -> str:
    clusters = Path("/etc/postgresql")
    versions = sorted(p.name for p in clusters.iterdir()) if clusters.is_dir() else []
    version = versions[-1] if versions else "15"
    return "\n".join(
        [
            "启动 PostgreSQL 的方法 / How to start PostgreSQL:",
            f"  - Debian/Ubuntu 本机服务 / local server:  pg_ctlcluster {version} main start",
            "        (或 / or: service postgresql start)",
            "  - Docker:  docker compose up -d postgres",
            "        then: DATABASE_URL=postgres://yibao:yibao@127.0.0.1:5432/yibao make test",
            "  - 其他服务器 / another server:  DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DB make test",
            "make test 只针对 PostgreSQL 运行，不会改用 SQLite。",
            "make test runs against PostgreSQL only; it does not fall back to SQLite.",
        ]
    )


def fail(url: str, error: BaseException | str) -> int:
    print(
        f"无法连接 PostgreSQL：{redact(url)}\n"
        f"Cannot connect to PostgreSQL at {redact(url)}\n"
        f"  {str(error).strip()}\n\n{how_to_start()}",
        file=sys.stderr,
    )
    return 1


def main() -> int:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    try:
        cfg = dj_database_url.parse(url)
    except Exception as exc:  # malformed URL or an unknown scheme
        return fail(url, f"DATABASE_URL is not a valid database URL: {exc}")
    if "postgresql" not in cfg.get("ENGINE", ""):
        return fail(url, f"DATABASE_URL is not a PostgreSQL URL (engine {cfg.get('ENGINE')}).")

    name = cfg.get("NAME") or "postgres"
    try:
        psycopg2.connect(**connect_kwargs(cfg, name)).close()
        return 0
    except psycopg2.OperationalError as exc:
        if "does not exist" not in str(exc):
            return fail(url, exc)

    # The server answered but the database is missing: create it through the maintenance database.
    try:
        conn = psycopg2.connect(**connect_kwargs(cfg, "postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.close()
    except psycopg2.Error as exc:
        return fail(url, f"database {name!r} does not exist and could not be created: {exc}")
    print(f"check_postgres: created database {name!r} / 已创建数据库 {name!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
