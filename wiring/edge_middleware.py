"""Middleware made cheaper for the API's per-request cost (docs/architecture.md "Web tier").

`CachedCSPMiddleware` is django-csp's with the policy string built once: it depends on the
settings alone unless a view changed it (csp decorators) or a page used a nonce, and then it
is built as django-csp builds it. Building it per response cost more than the snapshot read.
(Skipping the session, auth and messages middlewares for token requests saved ~12% more, but
`check --deploy` checks the session cookie and CSRF only with Django's own classes listed.)
"""

from __future__ import annotations

import http.client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
_policies: tuple[str, str] | None = None


def _built() -> tuple[str, str]:
    """(the policy, the report-only policy) from the settings, built on first use."""
    global _policies
    if _policies is None:
        _policies = (build_policy(), build_policy(report_only=True))
    return _policies


def _forget(*, setting: str, **kwargs: Any) -> None:
    global _policies
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies = None


setting_changed.connect(_forget, dispatch_uid="cached-csp")


class CachedCSPMiddleware(CSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        policy, report_only = _built()
        for header, value, exempt, setting in (
            (HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                report_only,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            if not value or getattr(response, exempt, False) is not False or header in response:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
