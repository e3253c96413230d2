"""gunicorn settings for `make serve` and for deployments (read from the environment).

Every app process is stateless: sessions and cache live in Redis (REDIS_URL) or
the database, so any number of these can run behind a load balancer.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Two sync workers per core is a sound start for a database-bound Django app.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # more than 1 selects gthread workers
wsgi_app = os.environ.get("WSGI_APP", "spinequiz.wsgi:application")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so none of them grows for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The load balancer's address, whose X-Forwarded-* headers gunicorn may trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Processes are managed from outside (systemd, the orchestrator), not through
# gunicorn's control socket, which would also clash between two stacks on one host.
control_socket_disable = True
