"""The members' site: a thin web frontend over the same facade and store as the CLI.

``partyreg serve`` runs :func:`partyreg_web.app.create_app` under uvicorn. Pages are rendered
on the server (Jinja2, Chinese, mobile-first, no JavaScript needed) and every page has its JSON
twin under ``/api/``. The site adds no rules: each read and write goes through a
:class:`~partyreg_core.workspace.Workspace` acting for the signed-in member
(:meth:`Workspace.for_member`, audit actor ``member:ID``).

Adding a router
---------------
A feature's pages live in one module under :mod:`partyreg_web.routes` that exposes ``routes``,
a list of Starlette routes, and is named in :data:`partyreg_web.routes.ROUTERS`::

    # partyreg_web/routes/events.py
    from starlette.routing import Route
    from partyreg_web.site import Site, page

    async def check_in(request):
        site = Site.of(request)
        member_id, ws = site.member(request)            # 401 / sign-in page without a session
        form = await site.form(request)                  # CSRF checked, write rate-limited
        ...
        return site.render(request, "events/check_in.html", {...})

    routes = [Route("/events/check-in", check_in, methods=["GET", "POST"])]

then add ``"events"`` to ``ROUTERS``. Templates go in ``templates/<feature>/`` and extend
``base.html``; ``site.run(fn, *args)`` runs a blocking workspace call off the event loop;
a :class:`partyreg_core.errors.PartyregError` raised inside a handler becomes the Chinese page
(or ``{"error": {"code", "message"}}`` under ``/api/``) with its HTTP status. Extra routes can
also be handed to :func:`create_app` (``routes=``), e.g. by an embedding system.
"""
