#!/usr/bin/env python3
"""Strict well-formedness check of an HTML file, for the report tests.

Reads the file named on the command line with Python's html.parser and prints one JSON
object: `errors` (unclosed, stray or mismatched tags, a missing doctype, duplicate ids, any
external reference: src=, href= to other documents, <script>, <link>, url(...) in styles),
`ids` (every id in document order), `headings` (id of the enclosing element with an id ->
its h2/h3 text), `svgs` (id of the enclosing figure -> the texts of its <text> elements), and
`notes` (id of the enclosing element with an id, "" for none -> the text of each element with
role="note").
Exit status 0 when `errors` is empty, 1 otherwise.
"""

import json
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, id or None, line)
        self.errors = []
        self.ids = []
        self.headings = {}
        self.svgs = {}
        self.saw_doctype = False
        self.text_target = None  # ("heading", id) or ("svg", id)
        self.buffer = []
        self.notes = {}
        self.note = None  # (stack depth of the note element, its owner id, its text so far)

    def nearest_id(self):
        for tag, element_id, _ in reversed(self.stack):
            if element_id:
                return element_id
        return None

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.saw_doctype = True

    def check_attributes(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.errors.append(f"duplicate id {value!r} at line {self.getpos()[0]}")
                self.ids.append(value)
            if name in ("src", "srcset") or (name == "href" and value and not value.startswith("#")):
                self.errors.append(f"external reference {name}={value!r} at line {self.getpos()[0]}")
        if tag in ("script", "link", "iframe", "object", "img"):
            self.errors.append(f"<{tag}> at line {self.getpos()[0]}: the report must be self-contained")

    def handle_starttag(self, tag, attrs):
        if not self.saw_doctype and not self.stack:
            self.errors.append("the document does not start with <!DOCTYPE html>")
            self.saw_doctype = True
        self.check_attributes(tag, attrs)
        element_id = dict(attrs).get("id")
        if tag in VOID:
            return
        if dict(attrs).get("role") == "note" and self.note is None:
            self.note = (len(self.stack), self.nearest_id() or "", [])
        self.stack.append((tag, element_id, self.getpos()[0]))
        if tag in ("h1", "h2", "h3"):
            self.text_target = ("heading", self.nearest_id())
            self.buffer = []
        elif tag == "text":
            self.text_target = ("svg", self.figure_id())
            self.buffer = []

    def figure_id(self):
        for tag, element_id, _ in reversed(self.stack):
            if tag == "figure":
                return element_id
        return None

    def handle_startendtag(self, tag, attrs):
        # <rect .../>, <circle .../>: self-closing is valid inside <svg>, and for void elements.
        self.check_attributes(tag, attrs)
        in_svg = any(t == "svg" for t, _, _ in self.stack)
        if not in_svg and tag not in VOID:
            self.errors.append(f"self-closing <{tag}/> outside svg at line {self.getpos()[0]}")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag </{tag}> of a void element at line {self.getpos()[0]}")
            return
        if not self.stack:
            self.errors.append(f"stray </{tag}> at line {self.getpos()[0]}")
            return
        open_tag, _, line = self.stack[-1]
        if open_tag != tag:
            self.errors.append(
                f"</{tag}> at line {self.getpos()[0]} closes <{open_tag}> opened at line {line}")
            # Recover: pop to the matching tag if there is one.
            while self.stack and self.stack[-1][0] != tag:
                self.stack.pop()
            if self.stack:
                self.stack.pop()
            return
        self.stack.pop()
        if self.note is not None and len(self.stack) == self.note[0]:
            depth, owner, parts = self.note
            self.notes.setdefault(owner, []).append(" ".join("".join(parts).split()))
            self.note = None
        if self.text_target and tag in ("h1", "h2", "h3", "text"):
            kind, owner = self.text_target
            text = " ".join("".join(self.buffer).split())
            if kind == "heading":
                self.headings.setdefault(owner or "", []).append(text)
            else:
                self.svgs.setdefault(owner or "", []).append(text)
            self.text_target = None

    def handle_data(self, data):
        if self.note is not None:
            self.note[2].append(data)
        if self.text_target:
            self.buffer.append(data)
        if "url(" in data and any(t == "style" for t, _, _ in self.stack):
            self.errors.append(f"url(...) in a style at line {self.getpos()[0]}")

    def close(self):
        super().close()
        for tag, _, line in self.stack:
            self.errors.append(f"<{tag}> opened at line {line} is never closed")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    checker = Checker()
    checker.feed(text)
    checker.close()
    print(json.dumps({"errors": checker.errors, "ids": checker.ids,
                      "headings": checker.headings, "svgs": checker.svgs,
                      "notes": checker.notes}))
    sys.exit(1 if checker.errors else 0)


if __name__ == "__main__":
    main()
