"""Site-wide files browsers ask for at fixed paths (the favicon), served from static/."""

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico: browsers ask for it on every page without a <link rel="icon">."""
    found = finders.find("favicon.ico")
    if not found:
        raise Http404("no favicon")
    return FileResponse(open(found, "rb"), content_type="image/x-icon")  # noqa: SIM115
