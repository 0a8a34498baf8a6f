"""The Trin 3 optimizer: choose a representative subset of eligible a-kasser.

A pure package: no web framework, no database, no geo.
"""
