"""Pure codecs and checks with no database and no Qt (DESIGN.md §1)."""
