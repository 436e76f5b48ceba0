"""Exchange formats: what goes in and out of LEAP M&E in other systems' shapes.

Workbooks, the DHIS2 API and the IATI export live here, above the domains: they read and
write through the domains' services (never their tables directly) and are registered by
the factory like a domain's API.
"""
