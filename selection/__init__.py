"""The Trin 3 optimizer: choose a representative subset of eligible a-kasser.

A pure package: no web framework, no database, no geo. The public API (see docs/selection.md):

* ``selection.problem.parse_problem(data) -> Problem`` (``selection-problem/1``)
* ``selection.solve.propose(problem, ...) -> Proposal``; ``Proposal.to_json()`` is
  ``selection-proposal/1`` plus extensions; ``selection.solve.propose_scenario`` for what-ifs
* ``selection.check.check(problem, proposal_json) -> list[str]`` (independent recomputation)
* ``selection.explain.explain(problem, proposal, fund=None, lang="da")``
* ``selection.diagnose.diagnose(problem, lang="da")``
* command line: ``python -m selection propose|check|explain``
"""
