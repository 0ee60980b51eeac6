"""partyreg's extension points (pluggy hook specifications).

Built-in features are plugins like any other: the SQLite and PostgreSQL stores, the xlsx and CSV
formats, the official-form exports and the notification channels are found through the
``partyreg`` entry-point group exactly as a county's own plugin is.

Naming: ``partyreg_register_<thing>(register)`` hooks are providers — call ``register`` once per
thing you provide; ``partyreg_on_<past_tense>`` hooks are events, called after the fact, whose
return value is ignored. Arguments and results are core types, never dicts or database rows.

Every hook here is documented in ``docs/plugin_hooks.md`` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from partyreg_core.importing import RejectedRow
    from partyreg_core.ports import (
        Change,
        Exporter,
        ImportOutcome,
        NotifierFactory,
        StoreOpener,
        TableFormat,
    )
    from partyreg_core.posts import Post
    from partyreg_core.routing.model import RoutingCase, RoutingDecision
    from partyreg_core.routing.rules import Router
    from partyreg_core.service.port import AssignmentSolver
    from partyreg_core.workspace import Workspace

PROJECT_NAME = "partyreg"

_F = TypeVar("_F", bound=Callable[..., Any])
_spec_marker = pluggy.HookspecMarker(PROJECT_NAME)
hookspec: Callable[[_F], _F] = _spec_marker
#: For "who answers?" hooks: the first non-None result is the answer.
first_result_hookspec: Callable[[_F], _F] = _spec_marker(firstresult=True)
hookimpl: Callable[[_F], _F] = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------


@hookspec
def partyreg_register_storage(register: Callable[[str, StoreOpener], None]) -> None:
    """Provide storage backends.

    Call ``register(scheme, opener)`` for each URL scheme you serve (``"sqlite"``,
    ``"postgresql"``); ``opener(url)`` returns a :class:`partyreg_core.ports.Store`. The store
    named by ``--db`` is opened by the backend registered for its scheme; two plugins registering
    the same scheme is an error at start-up.

    :param register: ``register(scheme: str, opener: StoreOpener) -> None``.
    """


# ---------------------------------------------------------------------------------------------
# Import and export formats
# ---------------------------------------------------------------------------------------------


@hookspec
def partyreg_register_formats(register: Callable[[TableFormat], None]) -> None:
    """Provide readers for input files (``.xlsx``, ``.csv``, a county's own layout).

    Call ``register(fmt)`` with a :class:`partyreg_core.ports.TableFormat`: its ``name``, the
    file ``extensions`` it reads, ``sniff(path, limits)`` that refuses — before parsing, with a
    :class:`partyreg_core.errors.ValidationError` coded ``file.*`` — a file that is not of this
    format or is unsafe (renamed, encrypted, a zip bomb, XML entities), and
    ``sheets(path, limits)`` giving the visible sheets, each yielding ``RawRow(number, cells)``
    with cells as text. The formats that read a file's extension are asked in call order (use
    ``@hookimpl(tryfirst=True)`` to be asked before the built-ins); the first whose ``sniff``
    accepts the file reads it, and when all refuse, the last refusal is shown.

    :param register: ``register(fmt: TableFormat) -> None``.
    """


@hookspec
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide exports: the official forms (``form1``–``form4``), circulars, ledgers.

    Call ``register(exporter)`` with a :class:`partyreg_core.ports.Exporter` whose ``name`` is
    what ``partyreg export NAME`` takes. Two exporters with the same name are an error.

    :param register: ``register(exporter: Exporter) -> None``.
    """


@first_result_hookspec
def partyreg_write_rejected_rows(
    target: Path, headers: Sequence[str], rows: Sequence[RejectedRow]
) -> int | None:
    """Write the rows an import rejected to ``target`` (``partyreg import --errors-out``), so the
    operator can fix them and import the file again. Stops at first non-None result.

    Answer only for a ``target`` whose format you write (the built-in xlsx plugin answers for
    ``.xlsx``); return how many rows were written.

    :param target: the file to write.
    :param headers: the file's column headers as written in it.
    :param rows: each rejected row's number, its cells (one per header) and its issues.
    """


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


@hookspec
def partyreg_register_notifiers(register: Callable[[str, NotifierFactory], None]) -> None:
    """Provide notification channels (SMTP e-mail, webhooks, group robots, SMS, QQ groups).

    Call ``register(channel_type, factory)``; ``factory(settings)`` builds a
    :class:`partyreg_core.ports.Notifier` from a channel's settings (as configured per org unit).

    :param register: ``register(channel_type: str, factory: NotifierFactory) -> None``.
    """


# ---------------------------------------------------------------------------------------------
# Posts
# ---------------------------------------------------------------------------------------------


@hookspec
def partyreg_register_posts(register: Callable[[Post], None]) -> None:
    """Provide service posts.

    Call ``register(post)`` with a :class:`partyreg_core.posts.Post`. A local post sets
    ``district`` to an org code; it can be claimed only by members whose report-in community
    lies in that district (or below it). The plugin name is filled in by partyreg. A post whose
    code or name clashes with another post valid in an overlapping district refuses start-up,
    naming both plugins.

    :param register: ``register(post: Post) -> None``.
    """


@hookspec
def partyreg_register_specialties(register: Callable[[str, Sequence[str]], None]) -> None:
    """Provide 特长 words and the posts they fit, for post assignment (``partyreg assign``).

    Call ``register(word, post_codes)``: a member whose 特长 contains ``word`` fits those posts.
    Plugin words are added to the built-in map (a word already there takes the plugin's posts);
    the city's ``service.specialties`` setting is applied last and wins.

    :param register: ``register(word: str, post_codes: Sequence[str]) -> None``.
    """


# ---------------------------------------------------------------------------------------------
# Solvers
# ---------------------------------------------------------------------------------------------


@first_result_hookspec
def partyreg_assignment_solver() -> AssignmentSolver | None:
    """Provide the solver of post assignment. Stops at first non-None result.

    Return a :class:`partyreg_core.service.port.AssignmentSolver`: given a weight per (member,
    post) and each post's capacity, the post each member gets (or -1), maximising the total
    weight. The built-in ``solver_scipy`` plugin answers with SciPy's
    ``linear_sum_assignment``; a plugin answering first replaces it.
    """


# ---------------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------------


@first_result_hookspec
def partyreg_route_member(case: RoutingCase, router: Router) -> RoutingDecision | None:
    """Decide where a registration is routed, before the built-in rules (the directory, then
    the district's queue). Stops at first non-None result.

    Return a :class:`partyreg_core.routing.model.RoutingDecision` — a ``district_code`` (an aggregator
    holding communities) and, when known, a ``community_id`` of the directory (its district is
    then the community's); ``community_id=None`` puts the member in that district's queue — or
    ``None`` to leave the member to the next rule. ``rule`` names your rule in the audit log.
    A decision naming an unknown community or a code that is no district stops the run with a
    message naming the rule. A resolution an operator made with ``partyreg route resolve``
    comes first, before any plugin. Called once per pending member per routing run: keep it
    fast (no I/O per call).

    :param case: a :class:`partyreg_core.routing.model.RoutingCase`: the unit code, the community as
        written (``CommunityRef``), the report type, rank, address and member id.
    :param router: the :class:`partyreg_core.routing.rules.Router`: ``router.communities`` (id →
        ``Community``), ``router.find(ref)``, ``router.district_for(name)``, ``router.tree``.
    """


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


@hookspec
def partyreg_register_commands(cli: Any) -> None:
    """Add commands to the ``partyreg`` command line.

    ``cli`` is the root :class:`click.Group`; call ``cli.add_command(...)``. Commands receive
    the application object through ``click.pass_obj`` and should reach data only through its
    :class:`partyreg_core.workspace.Workspace`.

    :param cli: the root ``click.Group``.
    """


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


@hookspec
def partyreg_on_changed(workspace: Workspace, change: Change) -> None:
    """Called after a change has been committed to the store (and to the audit log).

    ``change`` is a :class:`partyreg_core.audit.Change`: who, when, the action (``member.add``,
    ``route.assign``, ``sheet.confirm``, …), the subject and the before/after values. Use it to
    notify, to mirror into another system, or to keep statistics. Raising here does not undo the
    change; the error is logged.

    :param workspace: the workspace the change went through.
    :param change: the committed change.
    """


@hookspec
def partyreg_on_imported(workspace: Workspace, outcome: ImportOutcome) -> None:
    """Called after an import has been committed (not after a dry run).

    :param workspace: the workspace the import went through.
    :param outcome: a :class:`partyreg_core.ports.ImportOutcome`: the batch id, the file, the
        kind and the counts of rows written.
    """
