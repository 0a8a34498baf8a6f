"""Geography for Forsøgsportalen: municipalities, regions, exclusions, extents, inflow, maps.

A pure package: no web framework, no database.
"""
