"""A small HTML checker for the site's pages (html5lib is not installed here; ``html.parser`` is).

It reports what a strict parser would: a doctype missing, end tags that do
not match the open element, elements left open, duplicate ids, duplicate
attributes, and ``src``/``href`` that reach the network or point at files
that do not exist.
"""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["check_page"]

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.stack, self.ids, self.references = [], [], set(), []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"line {self.getpos()[0]}: duplicate attribute in <{tag}>")
        values = dict(attrs)
        if "id" in values:
            if values["id"] in self.ids:
                self.problems.append(f"line {self.getpos()[0]}: duplicate id {values['id']!r}")
            self.ids.add(values["id"])
        for name in ("src", "href"):
            if values.get(name) is not None:
                self.references.append((tag, name, values[name]))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in _VOID:
            self.problems.append(f"line {self.getpos()[0]}: end tag of void element </{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"line {self.getpos()[0]}: </{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def check_page(path):
    """Problems of one page (empty when it is well formed and every local reference exists).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    list of str
    """
    path = Path(path)
    checker = _Checker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    problems = [f"{path.name}: {problem}" for problem in checker.problems]
    if not checker.doctype:
        problems.append(f"{path.name}: no <!DOCTYPE html>")
    if checker.stack:
        problems.append(f"{path.name}: unclosed {checker.stack}")
    for tag, name, value in checker.references:
        parts = urlsplit(value)
        if tag in ("script", "link", "img") and parts.scheme:
            problems.append(f"{path.name}: <{tag} {name}={value!r}> is not a local file: the page needs the network")
        if parts.scheme or not parts.path:
            continue  # outgoing links (arXiv, DOI) and anchors within the page
        if not (path.parent / unquote(parts.path)).is_file():
            problems.append(f"{path.name}: <{tag} {name}={value!r}> points at a missing file")
    return problems
