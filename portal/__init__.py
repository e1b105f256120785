"""The portal's shared base: users, roles, data scoping, audit, jobs, and the admin, API and spreadsheet kits."""
