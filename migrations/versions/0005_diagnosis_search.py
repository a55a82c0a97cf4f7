"""diagnosis search index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

A full-text index (SQLite FTS5) over ICD-10-CM descriptions and inclusion terms, so a coder's
words-in-any-order search answers per keystroke over the ~98,000 codes of a release.

- contentless (`content=''`): the text lives in diagnosis_code; the index keeps only tokens.
- `words` holds folded description and inclusion-term words (app.formats.icd10cm.
  search_words); `tags` holds "r<release id>" and "leaf" (billable), so the release and the
  billable-only toggle are index look-ups rather than row reads.
- `prefix='1 2 3'`: every typed word is a prefix query; these prefix indexes keep short ones
  from merging thousands of terms. `detail=column` (no positions: no phrase search is needed),
  `columnsize=0` (no bm25: ranking is by rowid order, set at load).

The FTS5 table and its shadow tables are not in the SQLAlchemy models; migrations/env.py and
the models-vs-migrations test skip them (app.services.code_sets.SEARCH_TABLE).
"""

from alembic import op
from sqlalchemy import text

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE diagnosis_search USING fts5("
        "words, tags, content='', columnsize=0, detail=column, prefix='1 2 3', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    _index_existing_rows()


def _index_existing_rows() -> None:
    """Codes loaded before this revision (none in practice) become searchable too."""
    import json

    from app.formats.icd10cm import search_words

    conn = op.get_bind()
    rows = conn.execute(text(
        "SELECT id, release_id, description, notes, billable FROM diagnosis_code")).all()
    params = []
    for row_id, release_id, description, notes, billable in rows:
        terms = json.loads(notes).get("inclusion_terms", []) if notes else []
        words = " ".join(search_words(" ".join([description, *terms])))
        tags = f"r{release_id}" + (" leaf" if billable else "")
        params.append({"id": row_id, "words": words, "tags": tags})
    if params:
        conn.execute(text("INSERT INTO diagnosis_search (rowid, words, tags) "
                          "VALUES (:id, :words, :tags)"), params)


def downgrade() -> None:
    op.execute("DROP TABLE diagnosis_search")
