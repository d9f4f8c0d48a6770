"""The default cache's Redis backend (CACHE_URL): Django's, with one redis-py client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every cache operation, and redis-py's constructor copies
its response callbacks (about 160) into a case-insensitive dict each time. The API's throttle does a get and a set
on every request: those two clients were about 40 % of the throttle's CPU and 800 of its 1,270 Python calls per
request (docs/benchmarks.md, "The stack's floor"). A `redis.Redis` holds nothing but its pool and options and may
be shared (redis-py's own advice is one client per process), so each pool's client is made once; the pools, their
connections and everything sent stay Django's."""
from __future__ import annotations

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    """Django's client, each connection pool's redis.Redis made once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id of a pool (kept in self._pools for the process's life) -> its redis.Redis

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    """Django's Redis cache with RedisCacheClient."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
