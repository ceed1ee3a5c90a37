"""gunicorn's settings behind nginx: `make serve` (deploy/serve.py) and the Docker image.

gunicorn listens only on a unix socket that nginx reaches (the command line gives
``--bind unix:…``). It takes the client's scheme from X-Forwarded-Proto only from a peer it
trusts, and it trusts a unix-socket peer unconditionally (gunicorn's documented behaviour,
``gunicorn/http/message.py: _peer_is_trusted_proxy``): so no TCP peer is trusted at all,
and a client that somehow reaches gunicorn over TCP cannot claim https.
"""

from __future__ import annotations

import os

# No TCP address may set the scheme (the default trusts 127.0.0.1, where every local
# process, not only nginx, connects from). Never "*".
forwarded_allow_ips = ""

# Sync workers: nginx buffers whole requests and responses, so a worker is busy only while
# Django computes. About 2 x cores + 1 unless WEB_CONCURRENCY says otherwise.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
# A request taking longer than this is a stuck worker: it is killed and replaced.
timeout = 30
graceful_timeout = 20

# The socket is readable and writable by its owner and group only (make serve runs nginx as
# the same user); the Docker image shares it through a volume only nginx mounts, and
# overrides this with --umask 000 because the two containers run as different users.
umask = 0o117

accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
