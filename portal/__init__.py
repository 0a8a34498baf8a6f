"""The Flask portal of Forsøgsportalen."""
