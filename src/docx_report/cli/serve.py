"""``docx-report serve``: the web page for clerks and the supervising office."""

from __future__ import annotations

from pathlib import Path

import click

from docx_report.cli._common import PackParam, ReportCommand, handle_errors
from docx_report.errors import ReportError

INSTALL_HINT = "网页功能需要另外安装：pip install 'docx-report[serve]'"


@click.command(cls=ReportCommand)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听的地址（本机以外的地址必须同时设置 --token）")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="端口（0 = 任选一个空闲端口）")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="主管部门模式：把各机关上传的工作簿保存在这个文件夹，并开启汇总页面")
@click.option("--name", "office_name", default="",
              help="主管部门或地区名称（如：某某区），用于退回单落款和汇总报告，同 batch --name")
@click.option("--token", default=None, envvar="DOCX_REPORT_TOKEN", show_envvar=True,
              help="访问口令：设置后，打开网页需先输入口令（也可用环境变量设置，以免出现在进程列表中）")
@click.option("--max-mb", type=click.IntRange(1, 50), default=20, show_default=True,
              help="上传文件的大小上限（MB）")
@click.option("--pack", "pack_folders", type=PackParam(strict=False), multiple=True,
              help="网页上另外提供的报告格式（pack 文件夹，可重复）")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器")
@handle_errors
def serve(host: str, port: int, data_dir: Path | None, office_name: str, token: str | None,
          max_mb: int, pack_folders: tuple[str, ...], no_browser: bool) -> None:
    """启动网页：经办人上传工作簿即可看到全部问题并下载报告；主管部门汇总各机关报送。

    \b
    docx-report serve                                   # 本机使用，自动打开浏览器
    docx-report serve --data 报送/ --name 某某区 --host 0.0.0.0 --token 口令
    docx-report serve --pack ./街道月报                  # 另外提供自定义的报告格式
    """
    try:
        import flask  # noqa: F401
        import waitress  # noqa: F401
    except ImportError:
        raise ReportError(INSTALL_HINT) from None
    import logging  # (here: other commands need none of these)
    import threading
    import webbrowser

    from docx_report.web import create_app
    from docx_report.web.server import is_loopback, make_server

    if not is_loopback(host) and not token:
        raise click.UsageError(f"监听本机以外的地址（{host}）时必须用 --token 设置访问口令，"
                               "否则内网中任何人都能查看和上传报告")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(data_dir=data_dir, token=token, max_bytes=max_mb * 1024 * 1024,
                     office_name=office_name, packs=pack_folders)
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        raise ReportError(f"无法监听 {host}:{port}（{exc.strerror or exc}）；"
                          "端口可能已被占用，可换用 --port") from None
    url = server.url + (f"?token={token}" if token and is_loopback(host) else "")
    click.echo(f"网页已启动：{server.url}" + ("（主管部门模式，数据保存在 "
                                             f"{data_dir}）" if data_dir else ""))
    click.echo("按 Ctrl-C 停止。")
    if is_loopback(host) and not no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run()
    finally:
        app.extensions["docx_report.work"].close()


def register(main: click.Group) -> None:
    main.add_command(serve)
