"""ASC X12 005010 files: the segment reader/writer every transaction shares (segments.py) and
the eligibility pair, 270 inquiry (x270.py) and 271 response (x271.py), 005010X279A1."""
