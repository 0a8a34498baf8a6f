"""Trin 3: the selection problem from the database, optimizer runs as jobs, what-if, the
parties' positions and their decision. Named after the proposals it produces, not after the
`selection` core it calls."""
