"""``partyreg serve``: the members' site (uvicorn; the web stack is imported only here)."""

from __future__ import annotations

import logging

import click

from partyreg_cli.app import App


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口。"
)
@click.option(
    "--public-url",
    metavar="URL",
    help="网站对外的地址（如 https://dangyuan.example.cn）：登录链接用它，存入共享设置（市级操作员）。",
)
@click.option(
    "--secure/--no-secure",
    default=None,
    help="会话 Cookie 只经 HTTPS 发送（默认：对外地址是 https 时开启）。",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="信任其 X-Forwarded-For/Proto 头的反向代理地址（nginx）。",
)
@click.pass_obj
def serve(
    app: App,
    host: str,
    port: int,
    public_url: str | None,
    secure: bool | None,
    forwarded_allow_ips: str,
) -> None:
    """运行党员服务网站（党员用一次性链接登录，查看登记、自报活动、认领岗位）。"""
    import uvicorn

    from partyreg_core.signin.rules import BASE_URL_SETTING, check_base_url
    from partyreg_web.app import create_app
    from partyreg_web.site import SiteSettings

    ws = app.workspace
    ws.actor  # noqa: B018 — an unknown operator or a missing store: one line, exit 2
    if public_url is not None:
        clean = check_base_url(public_url)
        if ws.setting(BASE_URL_SETTING) != clean:
            ws.set_setting(BASE_URL_SETTING, clean)
    base = ws.signin.base_url()
    site = create_app(
        lambda: ws,
        settings=SiteSettings(secure=base.startswith("https://") if secure is None else secure),
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(f"党员服务网站：http://{host}:{port}/ （对外地址 {base}；Ctrl-C 停止）", err=True)
    uvicorn.run(
        site,
        host=host,
        port=port,
        access_log=False,  # the site logs each request itself, without tokens or queries
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
        # longer than nginx's upstream keep-alive and a member reading a page: an idle
        # connection closed by the site while a client reuses it would fail that request
        timeout_keep_alive=75,
    )
