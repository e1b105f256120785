"""Admin of training and money: scoped, fast at city scale, payee accounts masked, every change a service call.

One module per concept; importing them here registers their admins when Django autodiscovers ``training.admin``.
"""

from training.admin import batches, claims, programs, rules  # noqa: F401
