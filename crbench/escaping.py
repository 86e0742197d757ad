"""Escaping of untrusted text (detector and data set names, notes) for Markdown and CSV outputs.

Record fields come from files anyone can write: a detector named
``<img src=x onerror=alert(1)>`` must not become HTML in a rendered Markdown
page, a ``|`` must not shift the columns of a table, and a CSV cell
``=HYPERLINK(...)`` must not become a formula in a spreadsheet. The HTML
and LaTeX writers escape with :func:`html.escape` and their own table; this
module holds the Markdown and CSV rules, used by every writer of those
formats (leaderboard, regression summary, protocol sensitivity, review
index), and the one rule that turns a note's Markdown emphasis into HTML
after escaping it (:func:`inline_markup`, the HTML page and the site).
"""

import html
import re

__all__ = ["markdown_cell", "markdown_text", "csv_cell", "csv_row", "inline_markup", "notes_html"]

# Only what lets a name become markup. "<" opens every HTML tag and autolink (a ">" alone opens none, and
# crbench's own text reads "FPR >= x"); "](" and "][" close the text of an inline or reference link (the
# leaderboard's own "[84.83, 89.83]" and "[B22]" stay as they are); a line break would start a new
# Markdown block (a heading, a raw HTML block, a link definition). Emphasis stays: crbench's notes use it.
_MARKDOWN_TEXT = (("\r\n", " "), ("\n", " "), ("\r", " "), ("<", "&lt;"), ("](", "\\]("), ("][", "\\]["))
# in a table cell also the column separator, code spans, entities and the escape character itself
_MARKDOWN_CELL = (("\\", "\\\\"), ("&", "&amp;"), ("|", "\\|"), ("`", "\\`"), *_MARKDOWN_TEXT)
# OWASP "CSV injection": a cell starting with one of these is a formula in Excel, LibreOffice, Sheets
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def markdown_text(text):
    """Escape ``text`` for Markdown prose (headings, notes): HTML tags, links and line breaks.

    Emphasis (``*``, ``_``), ``&`` and code spans are kept: crbench's own notes use them.

    Examples
    --------
    >>> markdown_text("<img src=x onerror=alert(1)> [a](b)")
    '&lt;img src=x onerror=alert(1)> [a\\\\](b)'
    """
    return _replace(str(text), _MARKDOWN_TEXT)


def markdown_cell(value):
    """Escape one Markdown table cell: :func:`markdown_text` plus ``|``, backticks, ``&`` and backslashes.

    Examples
    --------
    >>> markdown_cell("a|b")
    'a\\\\|b'
    """
    return _replace(str(value), _MARKDOWN_CELL)


def _replace(text, pairs):
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_cell(value):
    """Neutralise a CSV cell that a spreadsheet would run as a formula (leading ``'``).

    Cells starting with ``= + - @``, tab or carriage return get a leading
    single quote, except numbers (``-0.5`` stays a negative number).
    Non-strings are returned unchanged.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> csv_cell("-0.5"), csv_cell(-0.5)
    ('-0.5', -0.5)
    """
    if not isinstance(value, str) or not value.startswith(_CSV_FORMULA_START) or _is_number(value):
        return value
    return "'" + value


def csv_row(row):
    """:func:`csv_cell` applied to every value of a dict row (keys kept)."""
    return {key: csv_cell(value) for key, value in row.items()}


def inline_markup(text):
    """Escape ``text`` for HTML and turn its Markdown **bold**, *italic* and `code` into tags.

    An asterisk opens italics only before a non-space and not inside a word,
    so that "3 * 4" and "a*b" stay text.

    Examples
    --------
    >>> inline_markup("**Caveat:** *simulated* <b>, `x` and 3 * 4")
    '<strong>Caveat:</strong> <em>simulated</em> &lt;b&gt;, <code>x</code> and 3 * 4'
    """
    text = html.escape(str(text))
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)\*", r"<em>\1</em>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def notes_html(notes):
    """The notes under a table as an HTML list (:func:`inline_markup` each), "" without notes."""
    if not notes:
        return ""
    return "<ul class='notes'>" + "".join(f"<li>{inline_markup(note)}</li>" for note in notes) + "</ul>"
