"""Indicator definitions and their versions, disaggregations, targets, reporting periods
and the data value store."""
