"""Lab markers: parse and check the BEGIN/END/STUB LAB regions of one source file, and write
the file as a lab-n handout has it (Python 3 standard library only).

A region, in any file whose comment syntax is known (C-like: /* */ and //; scripts: #):

	/* LAB 2: one-line (or multi-line) instruction for the student. */
	/* BEGIN LAB 2 */
	... reference solution ...
	/* END LAB 2 */
	/* STUB LAB 2: return NULL; */          (optional, on the line right after END)

For lab n, a region of lab k < n keeps its solution and a region of lab k >= n becomes its
STUB code (or nothing); the instruction stays, the marker lines go.
"""

import os
import re

# Which comment forms a file may use for markers, by name or extension.
C_LIKE = (".c", ".h", ".S", ".s", ".ld")
SCRIPT = (".py", ".sh", ".mk")
SCRIPT_NAMES = ("Makefile", "Makefrag")

# A comment line that starts like a marker is checked strictly, so a typo cannot pass
# silently; prose that merely mentions a marker further into a comment is left alone.
SUSPECT = re.compile(r"^\s*(/\*+|//|#|\*)?\s*(BEGIN|END|STUB)\s*LAB|^\s*(/\*+|//|#)\s*LAB\s*\d")


class MarkerError(Exception):
    """A malformed marker; str() is 'path:line: message'."""

    def __init__(self, path, line, message):
        super().__init__("%s:%d: %s" % (path, line, message))
        self.path, self.line, self.message = path, line, message


class Region:
    """One BEGIN..END region: line indices (0-based) of its parts."""

    def __init__(self, lab, instr, begin):
        self.lab, self.instr, self.begin = lab, instr, begin
        self.end = self.stub = None
        self.stub_code = None


def comment_style(path):
    """'c' or 'script' for a file that may hold markers, else None."""
    name = os.path.basename(path)
    if name.endswith(C_LIKE):
        return "c"
    if name.endswith(SCRIPT) or name in SCRIPT_NAMES:
        return "script"
    return None


def _patterns(style):
    """(open, close) regex fragments of a one-line comment in this style."""
    if style == "c":
        return [(r"/\*", r"\*/"), (r"//", r"")]
    return [(r"#", r"")]


def _classify(line, style):
    """(kind, lab text, rest) for a well-formed marker line, where kind is BEGIN, END, STUB
    or LAB (an instruction, possibly continued on the next lines); None otherwise."""
    for opener, closer in _patterns(style):
        m = re.match(r"^\s*%s\s*(BEGIN|END) LAB (\S+?)\s*%s\s*$" % (opener, closer), line)
        if m:
            return m.group(1), m.group(2), ""
        m = re.match(r"^\s*%s\s*STUB LAB (\S+?):\s?(.*?)\s*%s\s*$" % (opener, closer), line)
        if m and "*/" not in m.group(2):
            return "STUB", m.group(1), m.group(2)
        m = re.match(r"^\s*%s\s*LAB (\S+?):\s*(\S.*)$" % opener, line)
        if m:
            return "LAB", m.group(1), m.group(2)
    return None


def _instruction_end(lines, i, style):
    """Index of the last line of the instruction comment starting at line i, or None when a
    /* comment never closes."""
    if style == "c" and re.match(r"^\s*/\*", lines[i]):
        for j in range(i, len(lines)):
            if "*/" in lines[j]:
                return j
        return None
    opener = "//" if style == "c" else "#"
    j = i
    while j + 1 < len(lines) and lines[j + 1].lstrip().startswith(opener) and \
            _classify(lines[j + 1], style) is None and not SUSPECT.search(lines[j + 1]):
        j += 1
    return j


def _lab_number(text, path, lineno, known):
    if not re.fullmatch(r"[1-9][0-9]*", text):
        raise MarkerError(path, lineno, "lab number %r is not a positive integer" % text)
    lab = int(text)
    if lab not in known:
        raise MarkerError(path, lineno, "unknown lab %d (the labs are %s: each has a "
                          "labs/labN-name/ folder)" % (lab, ", ".join(map(str, sorted(known)))))
    return lab


class _Parser:
    """Walks one file's lines; collects regions, or errors as MarkerError objects."""

    def __init__(self, path, lines, style, known):
        self.path, self.lines, self.style, self.known = path, lines, style, known
        self.regions, self.errors = [], []
        self.open = None  # the Region whose END is still to come
        self.pending = None  # (lab, first line, last line) of an instruction awaiting BEGIN

    def error(self, i, message):
        self.errors.append(MarkerError(self.path, i + 1, message))

    def run(self):
        i = 0
        # The empty string after a final newline is not a line of the file.
        n = len(self.lines) - (self.lines[-1:] == [""])
        while i < n:
            i = self.step(i) + 1
        if self.pending:
            self.error(self.pending[1], "LAB %d instruction is not followed by "
                       "BEGIN LAB %d" % (self.pending[0], self.pending[0]))
        if self.open:
            self.error(self.open.begin, "BEGIN LAB %d has no END LAB %d"
                       % (self.open.lab, self.open.lab))
        return self.regions

    def step(self, i):
        """Handle line i; returns the index of the last line consumed."""
        line = self.lines[i]
        got = _classify(line, self.style)
        if got is None:
            if SUSPECT.search(line):
                self.error(i, "malformed marker %r" % line.strip())
            self.pending = self.pending and self.complain_pending(i)
            return i
        kind, labtext, rest = got
        try:
            lab = _lab_number(labtext, self.path, i + 1, self.known)
        except MarkerError as e:
            self.errors.append(e)
            return i
        return getattr(self, "on_" + kind.lower())(i, lab, rest)

    def complain_pending(self, i):
        lab, first, _ = self.pending
        self.error(first, "LAB %d instruction must be directly above BEGIN LAB %d" % (lab, lab))
        return None

    def on_lab(self, i, lab, rest):
        if self.pending:
            self.complain_pending(i)
        end = _instruction_end(self.lines, i, self.style)
        if end is None:
            self.error(i, "LAB %d instruction comment is never closed" % lab)
            return len(self.lines) - 1
        if self.open:
            self.error(i, "LAB %d instruction inside the region of BEGIN LAB %d (line %d)"
                       % (lab, self.open.lab, self.open.begin + 1))
            return end
        self.pending = (lab, i, end)
        return end

    def on_begin(self, i, lab, rest):
        if self.open:
            self.error(i, "BEGIN LAB %d nested inside BEGIN LAB %d (line %d)"
                       % (lab, self.open.lab, self.open.begin + 1))
            return i
        if not self.pending:
            self.error(i, "BEGIN LAB %d has no 'LAB %d: instruction' comment directly above it"
                       % (lab, lab))
            instr = None
        elif self.pending[0] != lab:
            self.error(i, "BEGIN LAB %d follows an instruction for LAB %d"
                       % (lab, self.pending[0]))
            instr = None
        else:
            instr = (self.pending[1], self.pending[2])
        self.pending = None
        self.open = Region(lab, instr, i)
        return i

    def on_end(self, i, lab, rest):
        if self.pending:
            self.pending = self.complain_pending(i)
        if not self.open:
            self.error(i, "END LAB %d without BEGIN LAB %d" % (lab, lab))
            return i
        region, self.open = self.open, None
        if region.lab != lab:
            self.error(i, "END LAB %d closes BEGIN LAB %d (line %d)"
                       % (lab, region.lab, region.begin + 1))
            return i
        region.end = i
        nxt = i + 1 < len(self.lines) and _classify(self.lines[i + 1], self.style)
        if nxt and nxt[0] == "STUB":
            region.stub, region.stub_code = i + 1, nxt[2]
            if nxt[1] != str(lab):
                self.error(i + 1, "STUB LAB %s after END LAB %d" % (nxt[1], lab))
            elif not nxt[2].strip():
                self.error(i + 1, "STUB LAB %d has no code (leave the STUB line out "
                           "to remove the region)" % lab)
            if region.instr is not None:
                self.regions.append(region)
            return i + 1
        if region.instr is not None:
            self.regions.append(region)
        return i

    def on_stub(self, i, lab, rest):
        self.error(i, "STUB LAB %d is not on the line right after an END LAB %d"
                   % (lab, lab))
        return i


def parse(path, text, known):
    """(regions, errors) of a file's text: errors lists every MarkerError found, and is
    empty when the file is good.  Files with no known comment syntax have neither."""
    style = comment_style(path)
    if style is None:
        return [], []
    lines = text.split("\n")
    parser = _Parser(path, lines, style, known)
    regions = parser.run()
    return regions, parser.errors


def strip_for_lab(text, regions, lab):
    """The text as the lab-`lab` handout has it (regions from parse(), without errors)."""
    lines = text.split("\n")
    drop, replace = set(), {}
    for r in regions:
        drop.update((r.begin, r.end))
        if r.lab < lab:
            if r.stub is not None:
                drop.add(r.stub)
            continue
        drop.update(range(r.begin, r.end + 1))
        if r.stub is not None:
            indent = re.match(r"^\s*", lines[r.stub]).group(0)
            replace[r.stub] = indent + r.stub_code
    out = []
    for i, line in enumerate(lines):
        if i in replace:
            out.append(replace[i])
        elif i not in drop:
            out.append(line)
    return "\n".join(out)
