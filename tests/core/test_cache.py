"""core.cache: Django's Redis cache, each connection pool's redis-py client made once (no server needed: a client
connects on its first command)."""
from core.cache import RedisCache


def test_each_pool_has_one_client_made_once():
    cache = RedisCache("redis://127.0.0.1:1/1", {})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client and cache._cache.get_client("key", write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(True)
    assert client.connection_pool.connection_kwargs["db"] == 1


def test_reads_go_to_the_replicas_pool_writes_to_the_first():
    cache = RedisCache("redis://127.0.0.1:1/1;redis://127.0.0.1:2/1", {})
    writer, reader = cache._cache.get_client(write=True), cache._cache.get_client()
    assert writer is not reader and cache._cache.get_client() is reader
    assert (writer.connection_pool.connection_kwargs["port"], reader.connection_pool.connection_kwargs["port"]) == (1, 2)
