"""Cross-domain reading: variance analysis, dashboards and the sector-wide progress report.

This package sits above the domains (indicators, budget, logframe, stakeholders) and reads
them only through their services; see docs/architecture.md.
"""
