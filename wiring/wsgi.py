"""WSGI entry point (the admin and reports also run under plain WSGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
application = get_wsgi_application()
