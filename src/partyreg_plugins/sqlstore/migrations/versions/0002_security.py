"""Append-only audit log (both dialects); row-level security and grants (PostgreSQL).

PostgreSQL: the tables belong to the store's owner role (this migration runs as it); partyreg
acts through one database role per operator, each a member of the store's ``app`` role, which
holds the table privileges. Row-level security keys on the acting role: ``pr_scope(role)``
(security definer) finds the operator behind a role name and its scope, and the policies compare
rows with it. Every scope lookup is wrapped in ``(SELECT …)`` so PostgreSQL evaluates it once
per query, not once per row.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The role names of a store are derived from its database's name (roles are cluster-wide).
PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"

MEMBER_CHILD_TABLES = (
    "claims",
    "routes",
    "assignments",
    "group_members",
    "feedback_sheets",
    "change_requests",
)
RLS_TABLES = (
    "members",
    "activities",
    *MEMBER_CHILD_TABLES,
    "audit_log",
    "operators",
    "operator_communities",
    "instructor_communities",
    "org_units",
    "communities",
    "settings",
)

ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
# a cast, so that ANY() takes the array and not the subquery's rows
COMMUNITIES = "(SELECT partyreg.pr_communities())::bigint[]"
NAME = "(SELECT partyreg.pr_name())"
IS_CITY = f"{ROLE} = 'city'"


def _by_unit(column: str) -> str:
    return (
        f"({ROLE} IN ('district', 'unit')"
        f" AND ({column} = {CODE} OR starts_with({column}, {BELOW})))"
    )


def _by_community(district: str, community: str) -> str:
    return (
        f"(({ROLE} = 'district' AND {district} = {CODE})"
        f" OR ({ROLE} IN ('community', 'instructor') AND {community} = ANY ({COMMUNITIES})))"
    )


MEMBER_VISIBLE = (
    f"{IS_CITY} OR {_by_unit('unit_code')}"
    f" OR (status <> 'registered' AND {_by_community('district_code', 'community_id')})"
)
ACTIVITY_VISIBLE = (
    f"{IS_CITY} OR {_by_unit('unit_code')} OR {_by_community('district_code', 'community_id')}"
)
AUDIT_VISIBLE = (
    f"{IS_CITY} OR actor = {NAME} OR on_behalf_of = {NAME} OR {_by_unit('unit_code')}"
    f" OR {_by_community('district_code', 'community_id')}"
)

SCOPE_FUNCTIONS = f"""
CREATE FUNCTION partyreg.pr_scope(r name)
RETURNS TABLE (role text, code text, communities bigint[], name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = partyreg, pg_temp AS $$
    SELECT o.role, o.scope_code,
           CASE WHEN o.role = 'instructor' THEN
                ARRAY(SELECT ic.community_id FROM instructor_communities ic
                      WHERE ic.instructor_id = o.instructor_id)
           ELSE ARRAY(SELECT oc.community_id FROM operator_communities oc
                      WHERE oc.operator_id = o.id) END,
           o.name
    FROM operators o
    WHERE NOT o.disabled
      AND o.id = (regexp_match(r::text, '_op([0-9]+)$'))[1]::bigint
      AND r::text = {PREFIX_SQL} || '_op' || o.id
$$;
CREATE FUNCTION partyreg.pr_role() RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT role FROM partyreg.pr_scope(current_user) $$;
CREATE FUNCTION partyreg.pr_code() RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT code FROM partyreg.pr_scope(current_user) $$;
CREATE FUNCTION partyreg.pr_communities() RETURNS bigint[] LANGUAGE sql STABLE AS
    $$ SELECT coalesce((SELECT communities FROM partyreg.pr_scope(current_user)), '{{}}') $$;
CREATE FUNCTION partyreg.pr_name() RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT name FROM partyreg.pr_scope(current_user) $$;
"""

AUDIT_GUARD_PG = """
CREATE FUNCTION partyreg.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'raise_exception';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON partyreg.audit_log
    FOR EACH ROW EXECUTE FUNCTION partyreg.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON partyreg.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION partyreg.audit_log_append_only();
"""

AUDIT_GUARD_SQLITE = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only (DELETE refused)'); END""",
)


def _policies() -> list[str]:
    sql = [f"ALTER TABLE partyreg.{t} ENABLE ROW LEVEL SECURITY" for t in RLS_TABLES]
    sql.append(f"CREATE POLICY members_scope ON partyreg.members USING ({MEMBER_VISIBLE})")
    sql.append(f"CREATE POLICY activities_scope ON partyreg.activities USING ({ACTIVITY_VISIBLE})")
    for table in MEMBER_CHILD_TABLES:
        sql.append(
            f"CREATE POLICY {table}_scope ON partyreg.{table} USING "
            f"(EXISTS (SELECT 1 FROM partyreg.members m WHERE m.id = member_id))"
        )
    sql += [
        f"CREATE POLICY audit_read ON partyreg.audit_log FOR SELECT USING ({AUDIT_VISIBLE})",
        "CREATE POLICY audit_append ON partyreg.audit_log FOR INSERT "
        f"WITH CHECK (actor = {NAME} OR on_behalf_of = {NAME})",
    ]
    # reference tables: everyone reads; writes as each role may make them
    city_only = IS_CITY
    writes = {
        "operators": city_only,
        "operator_communities": city_only,
        "settings": city_only,
        "instructor_communities": (
            f"{IS_CITY} OR ({ROLE} = 'district' AND EXISTS (SELECT 1 FROM partyreg.communities c"
            f" WHERE c.id = community_id AND c.district_code = {CODE}))"
        ),
        "org_units": f"{IS_CITY} OR {_by_unit('parent_code')}",
        "communities": f"{IS_CITY} OR ({ROLE} = 'district' AND district_code = {CODE})",
    }
    for table, check in writes.items():
        sql += [
            f"CREATE POLICY {table}_read ON partyreg.{table} FOR SELECT USING (true)",
            f"CREATE POLICY {table}_insert ON partyreg.{table} FOR INSERT WITH CHECK ({check})",
            f"CREATE POLICY {table}_update ON partyreg.{table} FOR UPDATE USING ({check})",
            f"CREATE POLICY {table}_delete ON partyreg.{table} FOR DELETE USING ({check})",
        ]
    return sql


GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA partyreg TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA partyreg TO %I', app);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON partyreg.audit_log FROM %I', app);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON partyreg.alembic_version FROM %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA partyreg TO %I', app);
    EXECUTE format('REVOKE EXECUTE ON FUNCTION partyreg.pr_scope(name) FROM PUBLIC');
    EXECUTE format('GRANT EXECUTE ON FUNCTION partyreg.pr_scope(name) TO %I', app);
END $$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in AUDIT_GUARD_SQLITE:
            op.execute(statement)
        return
    op.execute(SCOPE_FUNCTIONS)
    op.execute(AUDIT_GUARD_PG)
    for statement in _policies():
        op.execute(statement)
    op.execute(GRANTS)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
        return
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE partyreg.{table} DISABLE ROW LEVEL SECURITY")
        for row in bind.exec_driver_sql(
            "SELECT policyname FROM pg_policies WHERE schemaname = 'partyreg' AND tablename = %s",
            (table,),
        ):
            op.execute(f"DROP POLICY {row[0]} ON partyreg.{table}")
    op.execute("DROP TRIGGER audit_log_no_change ON partyreg.audit_log")
    op.execute("DROP TRIGGER audit_log_no_truncate ON partyreg.audit_log")
    op.execute("DROP FUNCTION partyreg.audit_log_append_only()")
    for fn in ("pr_role", "pr_code", "pr_communities", "pr_name"):
        op.execute(f"DROP FUNCTION partyreg.{fn}()")
    op.execute("DROP FUNCTION partyreg.pr_scope(name)")
