"""``docx-report serve``: the clerk's and the office's pages (Flask, server-rendered, no script).

``create_app`` builds the application; ``server.make_server`` serves it with waitress. Flask
and waitress come with the optional extra ``docx-report[serve]``; nothing else in the package
imports this one.
"""

from docx_report.web.app import create_app

__all__ = ["create_app"]
