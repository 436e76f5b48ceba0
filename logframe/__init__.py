"""The strategic plan in versions, the ten-year vision, the results hierarchy and activity plans."""
