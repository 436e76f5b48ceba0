"""Users, roles, sign-in, API tokens and the permission checks every view relies on."""
