"""ASC X12 005010 files: the segment reader/writer every transaction shares (segments.py);
the eligibility pair of 005010X279A1 — the 270 inquiry (x270.py) and the 271 response
(x271.py) — with their code lists (codes.py); the professional claim 837P of 005010X222A1
(x837p.py) and its validation with pyx12 (validate.py); and the acknowledgements of a claim
batch, the 999 of 005010X231A1 (x999.py) and the 277CA of 005010X214 (x277ca.py), with their
code lists (ack_codes.py)."""
