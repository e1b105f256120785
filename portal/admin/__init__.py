"""The portal's admin: the site's Chinese titles, the audit review page, accounts; and the admin kit.

The kit every app's admin builds on: mixins (scope, writes through services, all-or-nothing saves),
relations (foreign keys limited to the scope), inlines (read-only history), actions (actions that ask
for a reason, and their messages), bigtable (lists over millions of rows), importexport (spreadsheet
import and export pages), filters.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Industrial-Worker Reform Portal")
admin.site.site_title = _("Reform portal administration")
admin.site.index_title = _("Records")

# Registered when the admin autodiscovers this module: the audit review page, and accounts (created
# and changed by user administrators only).
from portal.accounts import admin as _accounts_admin  # noqa: E402, F401
from portal.admin import audit as _audit_admin  # noqa: E402, F401
