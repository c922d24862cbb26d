"""Redis settings from URLs: TCP, TLS, unix sockets, passwords and options."""

from pydantic import SecretStr

from queue_core import build_arq_redis_settings

# Host, port and database number.
plain = build_arq_redis_settings("redis://redis.example.internal:6379/2")

# TLS, checking the server against a private CA.
tls = build_arq_redis_settings(
    "rediss://redis.example.internal:6380/0"
    "?ssl_ca_certs=/etc/ssl/redis-ca.pem&ssl_cert_reqs=required"
)

# A unix socket; the database is a query option.
socket = build_arq_redis_settings("unix:///run/redis/redis.sock?db=1")

# The password from a secret (a str works too); it wins over one in the URL,
# and the settings' repr never shows it.
secret = build_arq_redis_settings(
    "redis://redis.example.internal:6379/0", SecretStr("s3cret")
)

# Connection tuning.
tuned = build_arq_redis_settings(
    "redis://redis.example.internal:6379/0"
    "?conn_timeout=5&conn_retries=10&conn_retry_delay=1&max_connections=50"
    "&socket_timeout=2"
)

# Redis Sentinel: three sentinels watching the master named "mymaster".
sentinel = build_arq_redis_settings(
    "redis+sentinel://sentinel-a:26379,sentinel-b:26379,sentinel-c:26379/mymaster/0"
)

if __name__ == "__main__":
    for settings in (plain, tls, socket, secret, tuned, sentinel):
        print(repr(settings))
