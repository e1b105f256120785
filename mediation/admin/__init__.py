"""Admin of mediation: committees with their members, cases with their timeline and workflow steps.

Scoped like every admin (portal/admin/mixins.py), and every write a service call. Importing the modules
here registers their admins when Django autodiscovers ``mediation.admin``.
"""

from mediation.admin import cases, committees  # noqa: F401
