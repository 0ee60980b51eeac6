"""row-level security (or no write grant) on every table an operator's role can reach

PostgreSQL only. Four tables had neither a policy nor a narrowed grant, so any operator's role
— logged in with plain ``psql`` — could rewrite them: ``posts`` (renamed every post),
``import_batches`` (deleted every batch, or marked another district's undone), ``instructors``
and ``community_districts``. Now:

- ``posts``: loaded by ``partyreg init`` (as the owner) only; operators read them.
- ``import_batches``: everyone reads (file names and counts, no personal data: progress counts
  them); a batch is inserted by its own operator under its own scope; only the city, its
  operator, or an operator whose scope holds the batch's scope marks it undone; none deletes.
- ``instructors``: the city, or a district for its own (``unit_code``), adds one; an org
  change re-codes ``unit_code`` within the scope of whoever applies it; none deletes (they are
  kept for the sheets they signed).
- ``community_districts``: the history of a community's district codes, written when the city
  (or that district) re-codes a district.
- ``documents`` (revision 0013): everyone reads (``partyreg verify``); a document is issued or
  re-issued only under the issuing login's own name; none deletes. (``document_keys`` stays
  readable by every operator's role: partyreg computes check codes in the client.)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
NAME = "(SELECT partyreg.pr_name())"
IS_CITY = f"{ROLE} = 'city'"
OWN_BATCH = f"(operator = {NAME} OR on_behalf_of = {NAME})"
BATCH_IN_SCOPE = (
    f"({IS_CITY} OR {OWN_BATCH} OR ({CODE} IS NOT NULL AND scope_code IS NOT NULL"
    f" AND (scope_code = {CODE} OR starts_with(scope_code, {BELOW}))))"
)

UNIT_IN_SCOPE = (
    f"({IS_CITY} OR ({ROLE} IN ('district', 'unit')"
    f" AND (unit_code = {CODE} OR starts_with(unit_code, {BELOW}))))"
)

POLICIES = (
    "ALTER TABLE partyreg.import_batches ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY import_batches_read ON partyreg.import_batches FOR SELECT USING (true)",
    "CREATE POLICY import_batches_insert ON partyreg.import_batches FOR INSERT WITH CHECK"
    f" ({OWN_BATCH} AND scope_code IS NOT DISTINCT FROM {CODE})",
    "CREATE POLICY import_batches_undo ON partyreg.import_batches FOR UPDATE"
    f" USING ({BATCH_IN_SCOPE}) WITH CHECK ({BATCH_IN_SCOPE})",
    "ALTER TABLE partyreg.instructors ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY instructors_read ON partyreg.instructors FOR SELECT USING (true)",
    "CREATE POLICY instructors_insert ON partyreg.instructors FOR INSERT WITH CHECK"
    f" ({IS_CITY} OR ({ROLE} = 'district' AND unit_code = {CODE}))",
    "CREATE POLICY instructors_recode ON partyreg.instructors FOR UPDATE"
    f" USING ({UNIT_IN_SCOPE}) WITH CHECK ({UNIT_IN_SCOPE})",
    "ALTER TABLE partyreg.community_districts ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY community_districts_read ON partyreg.community_districts FOR SELECT"
    " USING (true)",
    "CREATE POLICY community_districts_insert ON partyreg.community_districts FOR INSERT"
    f" WITH CHECK ({IS_CITY} OR ({ROLE} = 'district' AND district_code = {CODE}))",
    "ALTER TABLE partyreg.documents ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY documents_read ON partyreg.documents FOR SELECT USING (true)",
    f"CREATE POLICY documents_insert ON partyreg.documents FOR INSERT WITH CHECK (issued_by = {NAME})",
    "CREATE POLICY documents_reissue ON partyreg.documents FOR UPDATE USING (true)"
    f" WITH CHECK (issued_by = {NAME})",
)

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON partyreg.posts FROM %I', app);
    EXECUTE format('REVOKE DELETE, TRUNCATE ON partyreg.import_batches FROM %I', app);
    EXECUTE format('REVOKE DELETE, TRUNCATE ON partyreg.instructors FROM %I', app);
    EXECUTE format('REVOKE DELETE, TRUNCATE ON partyreg.documents FROM %I', app);
    EXECUTE format('REVOKE TRUNCATE ON ALL TABLES IN SCHEMA partyreg FROM %I', app);
END $$;
"""

UNGRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON partyreg.posts TO %I', app);
    EXECUTE format('GRANT DELETE ON partyreg.import_batches TO %I', app);
    EXECUTE format('GRANT DELETE ON partyreg.instructors TO %I', app);
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in POLICIES:
        op.execute(statement)
    op.execute(GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("import_batches", "instructors", "community_districts", "documents"):
        op.execute(f"ALTER TABLE partyreg.{table} DISABLE ROW LEVEL SECURITY")
        for suffix in ("read", "insert", "undo", "recode", "reissue"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{suffix} ON partyreg.{table}")
    op.execute(UNGRANTS)
