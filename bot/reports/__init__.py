"""Engagement reports for admins, computed from the engagement log (``events``), users and regions.

``data`` computes the figures (one JSON-ready dict per section), ``render`` prints them as tables or
CSV, ``charts`` draws them with matplotlib. The CLI (``votebot report``) and the dashboard
(``/admin``) share all three, so they always show the same numbers.
"""
