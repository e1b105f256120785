"""What the admin kit's mixins extend: ModelAdmin for the type checker, nothing at run time.

A mixin calls ``super()`` and reads ``admin_site``, ``opts`` and ``model``; typed against ModelAdmin,
mypy checks those uses, while the real admin classes still list the mixin before ModelAdmin.
"""

from typing import TYPE_CHECKING

from django.contrib import admin

if TYPE_CHECKING:
    ModelAdminMixinBase = admin.ModelAdmin
else:
    ModelAdminMixinBase = object
