"""redact stored urls: credentials and secret query parameters out of rows stored before

Since this revision every URL is stored redacted (scrapers/redact.py). Rows written earlier may
hold ``api_key=``/``token=`` values or ``user:password@`` credentials: this redacts them in place.
A URL that identifies its row (snapshots, reports, validators) is left alone when its redacted
form is already taken by another row, since merging rows is not a migration's call; the next
fetch of that URL stores it redacted anyway. There is no way back: downgrade changes nothing.

Revision ID: 0005_redact_stored_urls
Revises: 0004_analyst_views
"""

from alembic import op
import sqlalchemy as sa

from scrapers.redact import redact_text, redact_url


revision = "0005_redact_stored_urls"
down_revision = "0004_analyst_views"
branch_labels = None
depends_on = None

# (table, column, how, columns that make the value unique together with it)
COLUMNS = (
    ("fetch_runs", "url", redact_url, None),
    ("fetch_runs", "requested_url", redact_url, None),
    ("fetch_runs", "error", redact_text, None),
    ("snapshots", "url", redact_url, ("sha256",)),
    ("reports", "url", redact_url, ("source_id",)),
    ("reports", "listed_on", redact_url, None),
    ("http_validators", "url", redact_url, ()),
)


def upgrade() -> None:
    bind = op.get_bind()
    for table, column, how, unique_with in COLUMNS:
        t = sa.table(
            table, sa.column("id"), sa.column(column), *(sa.column(c) for c in unique_with or ())
        )
        col = t.c[column]
        suspect = sa.or_(col.like("%=%"), col.like("%@%"))
        for row in bind.execute(sa.select(t).where(suspect).order_by(t.c.id)).mappings().all():
            new = how(row[column])
            if new == row[column]:
                continue
            if unique_with is not None:
                clash = sa.select(t.c.id).where(
                    col == new, t.c.id != row["id"], *(t.c[c] == row[c] for c in unique_with)
                )
                if bind.execute(clash.limit(1)).first() is not None:
                    continue
            bind.execute(t.update().where(t.c.id == row["id"]).values({column: new}))


def downgrade() -> None:
    pass  # a secret once blanked is gone
