"""DHIS2 compatibility: the Web API paths, identifiers and payload shapes a DHIS2 client
uses (``web`` for the metadata, ``values`` for dataValueSets and dataValues)."""
