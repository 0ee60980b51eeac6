"""The one schema of partyreg's stores (SQLAlchemy Core), for SQLite and PostgreSQL alike.

It covers the whole campaign so that later features need no redesign: the org tree, posts, the
community directory and instructors, members and their claims, routes, assignments, groups,
needs, activities, feedback sheets, change-of-community requests, import batches, operators and
their scopes, the audit log, the notification outbox and shared settings.

The migrations under ``migrations/versions`` create exactly this; a test compares them.
Columns that carry an org code hold its dotted text (``008.001.004``): the text order is the
segment order, and a subtree is ``code = X OR code LIKE 'X.%'``.

Denormalised on purpose (kept in step by the store): ``members.posts`` (the claims as text, for
listing without a join) and ``activities.unit_code/district_code/community_id`` (scope filters
and roll-ups without a join; on PostgreSQL the row-level security policies use them).
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

CODE = sa.String(64)
NAME = sa.String(200)
SHORT = sa.String(32)
BATCH_ID = sa.String(40)
ROLES = ("city", "district", "unit", "community", "instructor")
MEMBER_STATUSES = ("registered", "routed", "reported_in")
OUTBOX_STATUSES = ("pending", "sent", "failed", "skipped")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# ---------------------------------------------------------------------------------------------
# Org tree, posts, directory
# ---------------------------------------------------------------------------------------------

org_units = sa.Table(
    "org_units",
    metadata,
    sa.Column("code", CODE, primary_key=True),
    sa.Column("name", NAME, nullable=False),
    sa.Column("kind", SHORT, nullable=False),
    sa.Column("parent_code", CODE, sa.ForeignKey("org_units.code"), nullable=True),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("retired_on", sa.Date, nullable=True),
    # a moved unit keeps its old code, valid before the move, and names its new one
    sa.Column("moved_to", CODE, nullable=True),
    sa.Column("expected_members", sa.Integer, nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    sa.Index(None, "parent_code"),
)

posts = sa.Table(
    "posts",
    metadata,
    _id(),
    sa.Column("code", SHORT, nullable=False),
    sa.Column("name", NAME, nullable=False),
    # '' for the city-wide posts (a NULL would not take part in the unique constraint)
    sa.Column("district_code", CODE, nullable=False, server_default=""),
    sa.Column("plugin", NAME, nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("district_code", "code"),
)

communities = sa.Table(
    "communities",
    metadata,
    _id(),
    sa.Column("district_code", CODE, sa.ForeignKey("org_units.code"), nullable=False),
    sa.Column("district", NAME, nullable=False),
    sa.Column("street", NAME, nullable=False),
    sa.Column("name", NAME, nullable=False),
    sa.Column("match_key", sa.String(420), nullable=False),
    sa.Column("phone", SHORT, nullable=False, server_default=""),
    sa.Column("qq_group", SHORT, nullable=False, server_default=""),
    sa.Column("secretary", NAME, nullable=False, server_default=""),
    sa.Column("mobile", SHORT, nullable=False, server_default=""),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("retired_on", sa.Date, nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    sa.UniqueConstraint("district_code", "match_key"),
    sqlite_autoincrement=True,
)

instructors = sa.Table(
    "instructors",
    metadata,
    _id(),
    sa.Column("name", NAME, nullable=False),
    sa.Column("phone", SHORT, nullable=False, server_default=""),
    sa.Column("unit_code", CODE, sa.ForeignKey("org_units.code"), nullable=True),
    sa.UniqueConstraint("name", "phone"),
)

instructor_communities = sa.Table(
    "instructor_communities",
    metadata,
    sa.Column(
        "instructor_id",
        BIGINT,
        sa.ForeignKey("instructors.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), primary_key=True),
    sa.Index(None, "community_id"),
)

# ---------------------------------------------------------------------------------------------
# Operators, batches, audit, outbox, settings
# ---------------------------------------------------------------------------------------------

operators = sa.Table(
    "operators",
    metadata,
    _id(),
    sa.Column("name", NAME, nullable=False, unique=True),
    sa.Column("role", SHORT, nullable=False),
    sa.Column("scope_code", CODE, sa.ForeignKey("org_units.code"), nullable=True),
    sa.Column("instructor_id", BIGINT, sa.ForeignKey("instructors.id"), nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", NAME, nullable=False, server_default=""),
    sa.CheckConstraint(_in("role", ROLES), name="role"),
    sqlite_autoincrement=True,
)

operator_communities = sa.Table(
    "operator_communities",
    metadata,
    sa.Column(
        "operator_id", BIGINT, sa.ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), primary_key=True),
)

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("id", BATCH_ID, primary_key=True),
    sa.Column("kind", SHORT, nullable=False),
    sa.Column("file", sa.Text, nullable=False, server_default=""),
    sa.Column("operator", NAME, nullable=False),
    sa.Column("on_behalf_of", NAME, nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("on_date", sa.Date, nullable=True),
    sa.Column("rows_total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_written", sa.Integer, nullable=False, server_default="0"),
    # the scope it was written in, so that operators see their own batches
    sa.Column("scope_code", CODE, nullable=True),
    sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("undone_by", NAME, nullable=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", NAME, nullable=False),
    sa.Column("on_behalf_of", NAME, nullable=True),
    sa.Column("os_user", NAME, nullable=False, server_default=""),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    # what the entry is about, for scoping who may read it
    sa.Column("unit_code", CODE, nullable=True),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("community_id", BIGINT, nullable=True),
    sa.Index(None, "at"),
    sa.Index(None, "subject"),  # one member's history (revision 0003)
    sqlite_autoincrement=True,
)

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("org_code", CODE, nullable=True),
    sa.Column("event", sa.String(64), nullable=False, server_default=""),
    sa.Column("recipients", sa.JSON, nullable=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    # notifications (revision 0006): where a message stands, who it is for, what it is about
    sa.Column("status", SHORT, nullable=False, server_default="pending"),
    sa.Column("target", sa.String(80), nullable=False, server_default=""),
    sa.Column("idempotency_key", sa.String(40), nullable=True),
    sa.Column("community_id", BIGINT, nullable=True),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("created_by", NAME, nullable=False, server_default=""),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Index(None, "sent_at", "next_attempt_at"),
    sa.Index(None, "status", "next_attempt_at"),
    sa.UniqueConstraint("idempotency_key"),
    sa.CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
)

#: Notification channels per target (revision 0006): an org unit ``org:<code>``, a community
#: ``community:<id>`` or an instructor ``instructor:<id>``. Settings as JSON, secrets only as
#: ``env:NAME`` references (decision 0031); ``org_code``/``district_code``/``community_id`` place
#: the target for scope checks.
channels = sa.Table(
    "channels",
    metadata,
    _id(),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("target", sa.String(80), nullable=False),
    sa.Column("kind", SHORT, nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("org_code", CODE, nullable=True),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("community_id", BIGINT, nullable=True),
    sa.Column("created_by", NAME, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", NAME, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index(None, "target"),
    sqlite_autoincrement=True,
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.JSON, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", NAME, nullable=False, server_default=""),
)

# ---------------------------------------------------------------------------------------------
# Members and what happens to them
# ---------------------------------------------------------------------------------------------

members = sa.Table(
    "members",
    metadata,
    _id(),
    sa.Column("unit_code", CODE, sa.ForeignKey("org_units.code"), nullable=False),
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("phone", SHORT, nullable=False),
    sa.Column("gender", sa.String(4), nullable=False),
    sa.Column("unit_and_title", NAME, nullable=False),
    sa.Column("specialty", NAME, nullable=False, server_default=""),
    sa.Column("posts", NAME, nullable=False, server_default=""),
    sa.Column("address", NAME, nullable=False, server_default=""),
    # the report-in community as the registration names it (kept while it is unresolved)
    sa.Column("community_district", NAME, nullable=False),
    sa.Column("community_street", NAME, nullable=False),
    sa.Column("community_name", NAME, nullable=False),
    sa.Column("report_type", sa.String(8), nullable=False),
    sa.Column("rank", sa.String(60), nullable=False, server_default=""),
    sa.Column("status", SHORT, nullable=False, server_default="registered"),
    # the directory community and the district (aggregator) it resolved or was routed to
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=True),
    sa.Column("district_code", CODE, sa.ForeignKey("org_units.code"), nullable=True),
    sa.Column("registered_on", sa.Date, nullable=True),
    sa.Column("routed_on", sa.Date, nullable=True),
    sa.Column("reported_on", sa.Date, nullable=True),
    sa.Column("left_on", sa.Date, nullable=True),
    sa.Column("left_reason", sa.Text, nullable=True),
    # retired (退休); with left_on unset the member stays on as a voluntary retired member
    sa.Column("retired_on", sa.Date, nullable=True),
    # personal fields replaced after the retention period (revision 0010); statistics stay
    sa.Column("anonymised_on", sa.Date, nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    sa.Column("created_batch", BATCH_ID, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("name", "phone"),
    sa.CheckConstraint(_in("status", MEMBER_STATUSES), name="status"),
    sa.Index(None, "unit_code"),
    sa.Index(None, "community_id"),
    sa.Index(None, "district_code"),
    sa.Index(None, "phone"),
    sa.Index(None, "created_batch"),
    sqlite_autoincrement=True,
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column(
        "member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("post_code", SHORT, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index(None, "post_code"),
)

routes = sa.Table(
    "routes",
    metadata,
    _id(),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("from_code", CODE, nullable=False),
    sa.Column("district_code", CODE, sa.ForeignKey("org_units.code"), nullable=False),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=True),
    sa.Column("instructor_id", BIGINT, sa.ForeignKey("instructors.id"), nullable=True),
    sa.Column("routed_on", sa.Date, nullable=False),
    sa.Column("routed_by", NAME, nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Index(None, "member_id"),
)

needs = sa.Table(
    "needs",
    metadata,
    _id(),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=False),
    # the campaign year the row is for (revision 0007)
    sa.Column("year", sa.Integer, nullable=False, server_default="0"),
    sa.Column("post_code", SHORT, nullable=False),
    sa.Column("people", sa.Integer, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False, server_default=""),
    sa.Column("start_on", sa.Date, nullable=True),
    sa.Column("end_on", sa.Date, nullable=True),
    sa.Column("published_on", sa.Date, nullable=True),
    sa.Column("created_by", NAME, nullable=False, server_default=""),
    sa.Index(None, "community_id"),
)

assignments = sa.Table(
    "assignments",
    metadata,
    _id(),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("post_code", SHORT, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("assigned_on", sa.Date, nullable=False),
    sa.Column("assigned_by", NAME, nullable=False),
    sa.UniqueConstraint("member_id", "year"),
    sa.Index(None, "community_id", "year"),
)

groups = sa.Table(
    "groups",
    metadata,
    _id(),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("post_code", SHORT, nullable=False),
    sa.Column("name", NAME, nullable=False),
    sa.Column("leader_id", BIGINT, sa.ForeignKey("members.id"), nullable=True),
    sa.Index(None, "community_id", "year"),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", BIGINT, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index(None, "member_id"),
)

#: What makes two activities one (an identical row of the same member: a re-import).
ACTIVITY_KEY = (
    "member_id",
    "day",
    "content",
    "place",
    "participants",
    "hours",
    "rating",
    "kind",
    "self_reported",
)

activities = sa.Table(
    "activities",
    metadata,
    _id(),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=True),
    sa.Column("unit_code", CODE, nullable=False),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("place", NAME, nullable=False, server_default=""),
    sa.Column("participants", NAME, nullable=False, server_default=""),
    sa.Column("hours", sa.Float, nullable=False),
    sa.Column("rating", sa.String(4), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False, server_default=""),
    sa.Column("self_reported", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("confirmed", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("group_id", BIGINT, sa.ForeignKey("groups.id"), nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours"),
    # an identical row of the same member (a re-import) is the same activity, stored once; the
    # key starts with (member_id, day), which also serves the per-day and per-member lookups
    sa.UniqueConstraint(*ACTIVITY_KEY, name="uq_activities_same"),
    sa.Index(None, "community_id", "year"),
    sa.Index(None, "district_code", "year"),
    sa.Index(None, "unit_code", "year"),
    sa.Index(None, "batch_id"),
    # a group's activities (and the foreign-key check when groups are replaced; revision 0007)
    sa.Index(None, "group_id"),
)

#: Sentinels keying :data:`member_service` where an activity's ``community_id`` /
#: ``district_code`` is NULL (a primary key cannot hold NULL, and SQLite has no ``NULLS NOT
#: DISTINCT``): no community has id 0 and no org code is empty, so neither matches a scope.
NO_COMMUNITY = 0
NO_DISTRICT = ""

#: Confirmed service per member, year and scope (revision 0011): one row per distinct
#: (year, member_id, community_id, unit_code, district_code) of the confirmed activities, with
#: their hours, count and 优/良/一般 counts. Kept by triggers on ``activities`` (every write path,
#: in the same transaction), never written by the store; a row whose count reaches 0 is
#: deleted. NULL community/district are stored as :data:`NO_COMMUNITY` / :data:`NO_DISTRICT`.
#: ``feedback summary`` by member, community, unit and district reads it (decision 0061).
member_service = sa.Table(
    "member_service",
    metadata,
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("member_id", BIGINT, nullable=False),
    sa.Column("community_id", BIGINT, nullable=False),
    sa.Column("unit_code", CODE, nullable=False),
    sa.Column("district_code", CODE, nullable=False),
    sa.Column("hours", sa.Float, nullable=False),
    sa.Column("activities", sa.Integer, nullable=False),
    sa.Column("excellent", sa.Integer, nullable=False),
    sa.Column("good", sa.Integer, nullable=False),
    sa.Column("fair", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("year", "member_id", "community_id", "unit_code", "district_code"),
    sqlite_with_rowid=False,
)

feedback_sheets = sa.Table(
    "feedback_sheets",
    metadata,
    _id(),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=True),
    sa.Column("unit_code", CODE, nullable=False),
    sa.Column("status", SHORT, nullable=False, server_default="draft"),
    sa.Column("confirmed_by", NAME, nullable=False, server_default=""),
    sa.Column("confirmed_on", sa.Date, nullable=True),
    sa.Column("reopened_reason", sa.Text, nullable=True),
    sa.Column("delivered_on", sa.Date, nullable=True),
    # revision 0008: the sequence within (year, community) the number carries, the stamp line
    # printed on the confirmed sheet, and who delivered it to the unit's ledger
    sa.Column("sequence", sa.Integer, nullable=True),
    sa.Column("stamp", sa.Text, nullable=False, server_default=""),
    sa.Column("delivered_by", NAME, nullable=False, server_default=""),
    sa.CheckConstraint("status IN ('draft', 'confirmed')", name="status"),
    sa.UniqueConstraint("member_id", "year", "community_id"),
    sa.Index(None, "year", "community_id", "sequence"),
    sa.Index(None, "unit_code", "year"),
)

change_requests = sa.Table(
    "change_requests",
    metadata,
    _id(),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("from_community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=True),
    sa.Column("to_community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=True),
    sa.Column("to_district", NAME, nullable=False),
    sa.Column("to_street", NAME, nullable=False),
    sa.Column("to_name", NAME, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("status", SHORT, nullable=False, server_default="pending"),
    sa.Column("requested_on", sa.Date, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=True),
    sa.Column("decided_by", NAME, nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    # who filed it, why a decision went the way it did, and the report-in date the member had at
    # the old community when it released them (progress counts the first report-in of the year)
    sa.Column("requested_by", NAME, nullable=True),
    sa.Column("decision_reason", sa.Text, nullable=True),
    sa.Column("released_reported_on", sa.Date, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
    sa.Index(None, "member_id"),
    # one pending request per member (revision 0005)
    sa.Index(
        "uq_change_requests_pending",
        "member_id",
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
)

#: Expected member counts a unit declares for a campaign year (or its superiors set for it).
unit_expectations = sa.Table(
    "unit_expectations",
    metadata,
    sa.Column("code", CODE, sa.ForeignKey("org_units.code"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("expected", sa.Integer, nullable=False),
    sa.Column("set_by", NAME, nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("expected >= 0", name="expected"),
)

# ---------------------------------------------------------------------------------------------
# Org changes with effective dates, and members' past unit codes (revision 0009)
# ---------------------------------------------------------------------------------------------

org_changes = sa.Table(
    "org_changes",
    metadata,
    _id(),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    sa.Column("line", sa.Integer, nullable=True),
    # add | rename | move | retire | merge | recode (a unit carried along by a move or merge)
    sa.Column("kind", SHORT, nullable=False),
    # the unit: a new unit's code; the old code of a moved, merged or re-coded one
    sa.Column("code", CODE, nullable=False),
    sa.Column("new_code", CODE, nullable=True),
    sa.Column("name_before", NAME, nullable=False, server_default=""),
    sa.Column("name_after", NAME, nullable=False, server_default=""),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", NAME, nullable=False),
    sa.Column("on_behalf_of", NAME, nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index(None, "code"),
    sa.Index(None, "new_code"),
    sqlite_autoincrement=True,
)

#: A member's earlier unit codes, each for the days [valid_from, valid_to); the current one is
#: ``members.unit_code`` from the last ``valid_to`` (or ``registered_on``) on. Never re-coded:
#: it is what the codes were, so a past year's statistics add up under that year's codes.
member_units = sa.Table(
    "member_units",
    metadata,
    _id(),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("unit_code", CODE, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("valid_to", sa.Date, nullable=False),
    # transfer | move | merge | recode
    sa.Column("reason", SHORT, nullable=False),
    sa.Index(None, "member_id"),
    sqlite_autoincrement=True,
)

#: A community's earlier district codes: a move or merge of its district re-codes the community
#: (``communities.district_code``); the code it had until ``valid_to`` is kept here, so service
#: of a past year groups under that year's districts (decision 0062).
community_districts = sa.Table(
    "community_districts",
    metadata,
    _id(),
    sa.Column(
        "community_id", BIGINT, sa.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("district_code", CODE, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=False),
    # move | merge | recode
    sa.Column("reason", SHORT, nullable=False),
    sa.Index(None, "community_id"),
    sqlite_autoincrement=True,
)

campaign_years = sa.Table(
    "campaign_years",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("status", SHORT, nullable=False, server_default="open"),
    # the year's four deadlines as {"registration_due": "2027-08-30", …}
    sa.Column("calendar", sa.JSON, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("opened_by", NAME, nullable=False),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("closed_by", NAME, nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name="status"),
)

year_confirmations = sa.Table(
    "year_confirmations",
    metadata,
    sa.Column("year", sa.Integer, sa.ForeignKey("campaign_years.year"), primary_key=True),
    sa.Column("unit_code", CODE, sa.ForeignKey("org_units.code"), primary_key=True),
    # the unit's standing registrations when the year was opened (carried over)
    sa.Column("members", sa.Integer, nullable=False),
    sa.Column("confirmed_on", sa.Date, nullable=True),
    sa.Column("confirmed_by", NAME, nullable=True),
    sa.Column("confirmed_members", sa.Integer, nullable=True),
    sa.Index(None, "unit_code"),
)

#: The store's secret key of check codes (one row, made with the store; never exported,
#: decision 0068).
document_keys = sa.Table(
    "document_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),
)

#: Documents the system issued (a confirmed 附表3 …): serial, canonical content, summary;
#: ``partyreg verify`` checks a printed check code against them (decision 0068).
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("serial", sa.String(64), primary_key=True),
    sa.Column("kind", SHORT, nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("issued_by", NAME, nullable=False),
    # valid, revoked or superseded (revision 0018, decision 0127): a revoked or superseded
    # paper still verifies as genuine but says it no longer holds
    sa.Column("status", SHORT, nullable=False, server_default="valid"),
    sa.Column("replaced_by", sa.String(64), nullable=True),
    sa.Column("revoked_on", sa.Date, nullable=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("changed_by", NAME, nullable=True),  # who revoked or superseded it
    # the member a document is about (a report-in certificate), to find their latest
    sa.Column("member_id", BIGINT, nullable=True),
    sa.CheckConstraint(_in("status", ("valid", "revoked", "superseded")), name="status"),
    sa.Index(None, "member_id", "kind"),
)

# ---------------------------------------------------------------------------------------------
# Community events and check-in (revision 0018, decision 0125)
# ---------------------------------------------------------------------------------------------

#: A community's event: day, local start and end (``HH:MM``), content, place and the six-digit
#: check-in code; open while it takes check-ins, closed once its activities are recorded.
events = sa.Table(
    "events",
    metadata,
    _id(),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("start_at", sa.String(5), nullable=False),
    sa.Column("end_at", sa.String(5), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("place", sa.Text, nullable=False, server_default=""),
    sa.Column("code", sa.String(6), nullable=False),
    sa.Column("status", SHORT, nullable=False, server_default="open"),
    sa.Column("created_by", NAME, nullable=False),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.CheckConstraint(_in("status", ("open", "closed")), name="status"),
    sa.CheckConstraint("start_at < end_at", name="window"),
    sa.Index(None, "community_id", "status"),
)

#: Who checked in (and out) at an event; the activity closing it recorded.
event_attendance = sa.Table(
    "event_attendance",
    metadata,
    sa.Column("event_id", BIGINT, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column(
        "member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("activity_id", BIGINT, nullable=True),
)

#: Tables holding members' personal data: scoped by row-level security on PostgreSQL.
MEMBER_TABLES = (
    "members",
    "member_units",
    "claims",
    "routes",
    "assignments",
    "group_members",
    "activities",
    "member_service",
    "feedback_sheets",
    "change_requests",
)

# a person anonymised by retention, as a keyed hash of name + phone (decision 0079): a re-import
# of an old 附表1 is refused instead of bringing the erased person back; the key is the setting
# ``retention.erasure_key`` (written by the first retention run)
erased_people = sa.Table(
    "erased_people",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("erased_on", sa.Date, nullable=False),
)

# what a bulk action changed (revision 0016, decision 0109): per row its key and its values
# before (``None``: inserted) and after (``None``: deleted), so that ``partyreg undo BATCH``
# puts the rows back; the ids of the messages a reminder queued or a flush sent
batch_rows = sa.Table(
    "batch_rows",
    metadata,
    _id(),
    sa.Column("batch_id", BATCH_ID, sa.ForeignKey("import_batches.id"), nullable=False),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("row_key", sa.JSON, nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
    sa.Index(None, "batch_id"),
)

# ---------------------------------------------------------------------------------------------
# The members' site (decision 0115)
# ---------------------------------------------------------------------------------------------

#: One-time sign-in links, by the SHA-256 digest of their token (the token itself is never
#: stored): whose, made when and by whom, expiring when, used when.
signin_tokens = sa.Table(
    "signin_tokens",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_by", NAME, nullable=False),
    sa.Index(None, "member_id"),
)

#: The store's secret key that signs the site's session cookies (one row; never exported).
web_keys = sa.Table(
    "web_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("secret", sa.LargeBinary, nullable=False),
)

# ---------------------------------------------------------------------------------------------
# Residents' wishes, the points ledger, nudges (revision 0019; decisions 0130–0136)
# ---------------------------------------------------------------------------------------------

WISH_STATUSES = ("open", "claimed", "done", "rated", "cancelled")
WISH_VERDICTS = ("满意", "基本满意", "不满意")
POINTS_SOURCES = ("activity", "wish", "rating", "event", "adjustment")

#: A resident's wish (微心愿) in a community: the resident's name and phone are personal data,
#: blanked by retention (``erased_on``); ``member_unit_code`` (the claiming member's unit)
#: lets the unit read the wishes its members did.
wishes = sa.Table(
    "wishes",
    metadata,
    _id(),
    sa.Column("community_id", BIGINT, sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("resident_name", NAME, nullable=False, server_default=""),
    sa.Column("resident_phone", sa.String(32), nullable=False, server_default=""),
    sa.Column("post_code", SHORT, nullable=False, server_default=""),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("source", sa.String(64), nullable=False, server_default=""),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("status", SHORT, nullable=False, server_default="open"),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id"), nullable=True),
    sa.Column("member_unit_code", CODE, nullable=True),
    sa.Column("claimed_on", sa.Date, nullable=True),
    sa.Column("done_on", sa.Date, nullable=True),
    sa.Column("done_note", sa.Text, nullable=False, server_default=""),
    sa.Column("rating", sa.String(16), nullable=True),
    sa.Column("rating_comment", sa.Text, nullable=False, server_default=""),
    sa.Column("rated_on", sa.Date, nullable=True),
    sa.Column("cancelled_on", sa.Date, nullable=True),
    sa.Column("cancel_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("activity_id", BIGINT, sa.ForeignKey("activities.id"), nullable=True),
    sa.Column("batch_id", BATCH_ID, nullable=True),
    sa.Column("created_by", NAME, nullable=False, server_default=""),
    sa.Column("erased_on", sa.Date, nullable=True),
    sa.CheckConstraint(_in("status", WISH_STATUSES), name="status"),
    sa.CheckConstraint(f"rating IS NULL OR {_in('rating', WISH_VERDICTS)}", name="rating"),
    # a claimed, done or rated wish has its member (the rule of wishes/rules.py)
    sa.CheckConstraint(
        "status IN ('open', 'cancelled') OR member_id IS NOT NULL", name="claimed_member"
    ),
    sa.Index(None, "community_id", "status"),
    sa.Index(None, "district_code", "year"),
    sa.Index(None, "member_id"),
)

#: The points ledger: append-only (triggers refuse UPDATE and DELETE); scoped like activities
#: by the member's unit, district and community at the time of the entry.
points_entries = sa.Table(
    "points_entries",
    metadata,
    _id(),
    sa.Column("member_id", BIGINT, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("unit_code", CODE, nullable=False),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("community_id", BIGINT, nullable=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("source", SHORT, nullable=False),
    sa.Column("source_id", BIGINT, nullable=True),
    sa.Column("rule_id", BIGINT, nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", NAME, nullable=False, server_default=""),
    sa.CheckConstraint(_in("source", POINTS_SOURCES), name="source"),
    sa.Index("ix_points_member_year_day", "member_id", "year", "day"),
    sa.Index("ix_points_unit_year", "unit_code", "year"),
    sa.Index("ix_points_community_year", "community_id", "year"),
    sa.Index("ix_points_source", "source", "source_id"),
)

#: Versions of the points rules: the city's (``district_code`` NULL, complete) and districts'
#: (their own keys), each applying from ``effective_from``; never changed once written.
points_rules = sa.Table(
    "points_rules",
    metadata,
    _id(),
    sa.Column("district_code", CODE, nullable=True),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("set_by", NAME, nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_points_rules_district_from", "district_code", "effective_from"),
)

#: A member's opt-out of nudges (all of them, ``*``, or the kinds listed, comma-separated).
nudge_optouts = sa.Table(
    "nudge_optouts",
    metadata,
    sa.Column(
        "member_id", BIGINT, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("kinds", sa.String(200), nullable=False, server_default="*"),
    sa.Column("since", sa.Date, nullable=False),
    sa.Column("set_by", NAME, nullable=False),
)
