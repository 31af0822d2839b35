"""The back office in Django's admin: read models read-only, actions through trading-core.

Every table here is a projection (or a mirror) of the store, so nobody adds, changes or
deletes a row; staff's actions (cancel, halt/resume, adjustments) call backoffice/services.py,
which calls trading-core and writes the audit log. Who sees and does what:
backoffice/permissions.py. One module per area; what they share is in `base`.
"""

from __future__ import annotations

from django.contrib import admin

from backoffice.admin import ledger, orders, reference, refused, traders

admin.site.site_header = "Back office"
admin.site.site_title = "Back office"
admin.site.index_title = "Back office"

__all__ = ["ledger", "orders", "reference", "refused", "traders"]
