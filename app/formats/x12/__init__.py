"""ASC X12 005010 files: the segment reader/writer every transaction shares (segments.py) and
the eligibility pair of 005010X279A1 — the 270 inquiry (x270.py) and the 271 response
(x271.py) — with their code lists (codes.py)."""
