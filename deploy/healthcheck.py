"""Container health check: GET a path of this node's gunicorn, exit 0 on a 2xx answer.

Used by the image's HEALTHCHECK (``/healthz/live``); the standard library only, since the
slim image has no curl. The request carries a host the node accepts (the first of
ALLOWED_HOSTS) and says it came through the TLS proxy, as every real request does, so
that neither ALLOWED_HOSTS nor the HTTPS redirect turns it away.
"""

from __future__ import annotations

import http.client
import os
import sys


def main(path: str) -> int:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", 8000, timeout=4)
    try:
        connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if 200 <= status < 300:
        return 0
    print(f"{path}: HTTP {status}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/healthz/live"))
