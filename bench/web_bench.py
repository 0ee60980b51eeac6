"""The members' site under load: 200 members signed in at once, for 60 s, on loopback.

    .venv/bin/python bench/web_bench.py [--members 2000] [--concurrency 200] [--seconds 60]
                                        [--backends sqlite postgresql] [--pg SUPERUSER_URL]

A city of ``--members`` members in 50 communities (``bench/service_bench.py``'s set-up), the
site under uvicorn in a process of its own (one worker, as ``partyreg serve`` runs it), and
``--concurrency`` members, each signed in with a one-time link (through the site), each
looping without pause: nine times in ten ``GET /api/me``, once a self-report
``POST /api/me/activities`` (a new activity each time). Reported: requests per second, p50 /
p95 / max of each kind, and every answer that was not 200/201 (errors). Goal: p95 < 200 ms and
no errors on SQLite and PostgreSQL. The site's rate limits are raised for the run (one
loopback address signs in 200 members). Results go to the ``web`` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.results import write_section  # noqa: E402

YEAR = 2014
#: as ``partyreg serve``: idle connections are kept longer than a member reads a page
KEEP_ALIVE = 75


def serve(db: str, port: int) -> None:
    """The site over ``db`` (``--serve``: run in the server process)."""
    import uvicorn

    from partyreg_core.workspace import Workspace
    from partyreg_web.app import create_app
    from partyreg_web.limits import Limit, SiteLimits
    from partyreg_web.site import SiteSettings

    many = Limit(1_000_000, 60)
    settings = SiteSettings(limits=SiteLimits(signin=many, link_request=many, write=many))
    app = create_app(lambda: Workspace(db), settings=settings)
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
        timeout_keep_alive=KEEP_ALIVE,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tokens(db: str, count: int) -> list[str]:
    from partyreg_core.members.model import MemberQuery
    from partyreg_core.workspace import Workspace

    ws = Workspace(db)
    try:
        ids = [m.id for m in ws.members.iter(MemberQuery()) if m.community_id is not None]
        chosen = random.Random(7).sample(ids, count)
        return [ws.signin.invite(i, send=False).url.rsplit("/s/", 1)[1] for i in chosen]
    finally:
        ws.close()


async def _sign_in(client: httpx.AsyncClient, token: str) -> str:
    page = await client.get(f"/s/{token}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:300]
    done = await client.post(f"/s/{token}", data={"csrf": csrf.group(1)})
    assert done.status_code == 303, done.text[:300]
    me = await client.get("/api/me")
    return str(me.json()["csrf"])


async def _member(
    client: httpx.AsyncClient, csrf: str, until: float, n: int, out: dict[str, list[float]],
    errors: list[str], think: float,
) -> None:  # fmt: skip
    rng = random.Random(n)
    k = 0
    if think:  # members do not all start in the same millisecond
        await asyncio.sleep(rng.uniform(0, think))
    while time.perf_counter() < until:
        k += 1
        started = time.perf_counter()
        try:
            kind, ok, answer = await _one(client, csrf, rng, n, k)
        except httpx.TransportError as exc:  # counted, never hidden
            out["failed"].append(time.perf_counter() - started)
            errors.append(f"transport {type(exc).__name__}")
            continue
        out[kind].append(time.perf_counter() - started)
        if not ok:
            errors.append(f"{kind} {answer.status_code} {answer.text[:120]}")
        if think:  # reading the page before the next tap
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def _one(
    client: httpx.AsyncClient, csrf: str, rng: random.Random, n: int, k: int
) -> tuple[str, bool, httpx.Response]:
    """One tap: nine times in ten the record, once a self-report."""
    if rng.random() < 0.1:
        answer = await client.post(
            "/api/me/activities",
            json={"date": f"{YEAR}-{rng.randrange(9, 13)}-{rng.randrange(1, 29):02d}",
                  "hours": "0.1", "content": f"压测自报 {n}-{k}", "place": "社区"},
            headers={"x-csrf-token": csrf},
        )  # fmt: skip
        return "report", answer.status_code == 201, answer
    answer = await client.get("/api/me")
    return "me", answer.status_code == 200, answer


async def _load(base: str, tokens: list[str], seconds: float, think: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in tokens]
    try:
        csrfs = await asyncio.gather(
            *(_sign_in(c, t) for c, t in zip(clients, tokens, strict=True))
        )
        out: dict[str, list[float]] = {"me": [], "report": [], "failed": []}
        errors: list[str] = []
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(_member(c, s, until, n, out, errors, think) for n, (c, s) in enumerate(zip(clients, csrfs, strict=True)))
        )  # fmt: skip
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {"out": out, "errors": errors, "elapsed": elapsed}


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run_backend(db: str, web_db: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from bench.service_bench import build

    build(db, args.members, 50, 0)
    return run_backend_built(web_db, args)


def _pg(admin_url: str) -> tuple[str, str, Any]:
    """A fresh PostgreSQL database: its superuser URL (set-up) and the URL of the city
    operator's own login (what the site runs as), and a clean-up."""
    import getpass

    import psycopg
    import sqlalchemy as sa

    from partyreg_plugins.sqlstore.pg import drop_store_roles
    from partyreg_plugins.sqlstore.store import SqlStore

    admin = sa.engine.make_url(admin_url).set(drivername="postgresql")
    name = f"partyreg_bench_web_{os.getpid()}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)

    def login() -> str:
        store = SqlStore(url)
        try:
            found = store.operators.find_operator(getpass.getuser())
        finally:
            store.close()
        assert found is not None and found.db_role
        return sa.engine.make_url(url).set(username=found.db_role).render_as_string(False)

    def clean() -> None:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine = sa.create_engine(admin.set(drivername="postgresql+psycopg"))
        with engine.begin() as c:
            drop_store_roles(c, name)
        engine.dispose()

    return url, login, clean  # type: ignore[return-value]


def _row(backend: str, think: float, result: dict[str, Any]) -> str:
    out, errors, elapsed = result["out"], result["errors"], result["elapsed"]
    total = len(out["me"]) + len(out["report"])
    me, report = out["me"], out["report"]
    return (
        f"| {backend} | {think:g} s | {total / elapsed:.0f} | {len(me)} | {_ms(me, 0.5):.0f} "
        f"| {_ms(me, 0.95):.0f} | {_ms(me, 1.0):.0f} | {len(report)} | {_ms(report, 0.5):.0f} "
        f"| {_ms(report, 0.95):.0f} | {_ms(report, 1.0):.0f} | {len(errors)} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, nargs="+", default=[0.0, 5.0],
                        help="seconds a member reads a page between taps; one run each")  # fmt: skip
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--pg", default=os.environ.get(
        "PARTYREG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    rows = []
    for backend in args.backends:
        if backend == "sqlite":
            tmp = tempfile.mkdtemp(prefix="partyreg-web-bench-")
            db = f"sqlite:///{Path(tmp) / 'store.db'}"
            result = run_backend(db, db, args)
        else:
            try:
                url, login, clean = _pg(args.pg)
            except Exception as exc:  # no server: say so in the results
                print(f"bench web: PostgreSQL unavailable ({exc}); skipped", file=sys.stderr)
                continue
            try:
                from bench.service_bench import build

                build(url, args.members, 50, 0)
                web_db = login()  # type: ignore[operator]
                result = run_backend_built(web_db, args)
            finally:
                clean()  # type: ignore[operator]
        for think, one in zip(args.think, result, strict=True):
            rows.append(_row(backend, think, one))
            print(rows[-1], flush=True)
            for line in sorted(set(one["errors"]))[:5]:
                print(f"  error: {line}", flush=True)
    body = (
        f"{args.concurrency} members signed in at once for {args.seconds:.0f} s on loopback, "
        f"each looping (9 in 10 `GET /api/me`, 1 in 10 a self-report) with no pause (think 0) "
        f"or reading each answer for 0.5–1.5× the think time; a city of "
        f"{args.members} members in 50 communities; the site under uvicorn, one worker process "
        f"(`partyreg serve`), the load generator (httpx, asyncio) in another. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}. Times in ms.\n\n"
        "| store | think | req/s | /api/me | p50 | p95 | max | self-reports | p50 | p95 | max "
        "| errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Goal: p95 < 200 ms and no errors. With every member asking again the moment an answer "
        "arrives (think 0), the p95 is the queue in front of one worker process: about the "
        "concurrency divided by the throughput (Little's law), not the store's size. With a "
        "think time the offered load is about concurrency / (think + latency) requests a "
        "second; the p95 stays low only while that is below the throughput of the think-0 "
        "row. The machine is shared (other work ran beside the benchmark), so the throughput "
        "is a floor, not a capacity.\n"
    )
    write_section("web", "Members' site: 200 members at once (bench/web_bench.py)", body)
    return 0


def run_backend_built(web_db: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """:func:`run_backend` over a store already built (PostgreSQL: built as the superuser,
    served through the city operator's own login): one run per ``--think``, fresh members."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", web_db, str(port)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        return [
            asyncio.run(_load(base, _tokens(web_db, args.concurrency), args.seconds, think))
            for think in args.think
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
