"""The portal's admin: the audit review page, accounts; and the admin kit (the site is portal/adminsite.py).

The kit every app's admin builds on: mixins (scope, writes through services, all-or-nothing saves),
relations (foreign keys limited to the scope), inlines (read-only history), actions (actions that ask
for a reason, and their messages), bigtable (lists over millions of rows), importexport (spreadsheet
import and export pages), filters.
"""

# Registered when the admin autodiscovers this module: the audit review page, and accounts (created
# and changed by user administrators only).
from portal.accounts import admin as _accounts_admin  # noqa: F401
from portal.admin import audit as _audit_admin  # noqa: F401
