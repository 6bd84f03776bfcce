"""docx-report: turn a filled-in Excel workbook into an official Word report."""

__version__ = "0.1.0"
