"""ASGI entry: one address for pages, REST and /ws/v1/stream (docs/architecture.md "Web tier").

HTTP runs Django's WSGI handler in a fixed pool of threads (wiring/wsgi_bridge.py, a2wsgi for
large request bodies): each thread keeps its database connection (CONN_MAX_AGE) and no
request pays for a thread of its own, which is what made Django's ASGI handler 5-6x dearer
per request. Websockets go to the ws-gateway (Channels).
`make run` serves it with several uvicorn worker processes. Kept for the bench's comparison:
`daphne_only` (Django's ASGI handler under daphne) and `a2wsgi_http` (every request through
a2wsgi, the bridge before wiring/wsgi_bridge.py).
"""

import os
from typing import cast

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi_typing import WSGIApp
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from infra.orphan import exit_with_parent
from wiring.wsgi_bridge import WSGIBridge

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
exit_with_parent()  # a uvicorn worker whose parent was killed frees the port (infra/orphan.py)
django_asgi_app = get_asgi_application()  # sets Django up
# Threads per process: a request waits on the store or the database, not on Python, so a few.
WEB_THREADS = int(os.environ.get("WEB_THREADS", "8"))
# Django's WSGIHandler answers with an HttpResponse, which iterates bytes (WSGI); its stubs say
# HttpResponseBase, which does not declare that.
django_wsgi_app = cast("WSGIApp", get_wsgi_application())
django_http_app = WSGIBridge(django_wsgi_app, workers=WEB_THREADS)

# Imported after Django is set up: they use models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import TokenAuthMiddleware, origin_checked  # noqa: E402
from realtime.backpressure import with_backpressure  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

websocket_app = with_backpressure(
    origin_checked(AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))))
)
application = ProtocolTypeRouter({"http": django_http_app, "websocket": websocket_app})
daphne_only = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
# Threads start on first use: this costs nothing in a process that never serves it.
a2wsgi_http = WSGIMiddleware(django_wsgi_app, workers=WEB_THREADS)
