"""``python -m docx_report`` runs the command line."""

from docx_report.cli import main

main()
