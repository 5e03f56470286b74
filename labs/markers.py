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

A lab id is a number, optionally followed by one part letter: 4, then 4b and 4c (the later
parts of lab 4), then 5.  Ids order by number, then letter (lab_key); a bare number comes
before its lettered parts.
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


LAB_ID = re.compile(r"([1-9][0-9]*)([a-z]?)")


def lab_key(lab):
    """The sort key of a lab id (an int or a string such as '4b'): (number, part letter)."""
    m = LAB_ID.fullmatch(str(lab))
    if not m:
        raise ValueError("lab id %r is not a number optionally followed by a letter" % (lab,))
    return int(m.group(1)), m.group(2)


def lab_id(lab):
    """The canonical string id of a lab given as an int or a string: 4 -> '4'."""
    lab_key(lab)
    return str(lab)


def sorted_labs(labs):
    """Lab ids in lab order: 1, 2, ..., 4, 4b, 4c, 5, ..., 10."""
    return sorted((lab_id(k) for k in labs), key=lab_key)


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
    if not LAB_ID.fullmatch(text):
        raise MarkerError(path, lineno, "lab id %r is not a positive integer, optionally "
                          "followed by a part letter (4, 4b)" % text)
    if text not in known:
        raise MarkerError(path, lineno, "unknown lab %s (the labs are %s: each has a "
                          "labs/labN-name/ folder)" % (text, ", ".join(sorted_labs(known))))
    return text


class _Parser:
    """Walks one file's lines; collects regions, or errors as MarkerError objects."""

    def __init__(self, path, lines, style, known):
        self.path, self.lines, self.style = path, lines, style
        self.known = {lab_id(k) for k in known}
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
            self.error(self.pending[1], "LAB %s instruction is not followed by "
                       "BEGIN LAB %s" % (self.pending[0], self.pending[0]))
        if self.open:
            self.error(self.open.begin, "BEGIN LAB %s has no END LAB %s"
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
        self.error(first, "LAB %s instruction must be directly above BEGIN LAB %s" % (lab, lab))
        return None

    def on_lab(self, i, lab, rest):
        if self.pending:
            self.complain_pending(i)
        end = _instruction_end(self.lines, i, self.style)
        if end is None:
            self.error(i, "LAB %s instruction comment is never closed" % lab)
            return len(self.lines) - 1
        if self.open:
            self.error(i, "LAB %s instruction inside the region of BEGIN LAB %s (line %d)"
                       % (lab, self.open.lab, self.open.begin + 1))
            return end
        self.pending = (lab, i, end)
        return end

    def on_begin(self, i, lab, rest):
        if self.open:
            self.error(i, "BEGIN LAB %s nested inside BEGIN LAB %s (line %d)"
                       % (lab, self.open.lab, self.open.begin + 1))
            return i
        if not self.pending:
            self.error(i, "BEGIN LAB %s has no 'LAB %s: instruction' comment directly above it"
                       % (lab, lab))
            instr = None
        elif self.pending[0] != lab:
            self.error(i, "BEGIN LAB %s follows an instruction for LAB %s"
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
            self.error(i, "END LAB %s without BEGIN LAB %s" % (lab, lab))
            return i
        region, self.open = self.open, None
        if region.lab != lab:
            self.error(i, "END LAB %s closes BEGIN LAB %s (line %d)"
                       % (lab, region.lab, region.begin + 1))
            return i
        region.end = i
        nxt = i + 1 < len(self.lines) and _classify(self.lines[i + 1], self.style)
        if nxt and nxt[0] == "STUB":
            region.stub, region.stub_code = i + 1, nxt[2]
            if nxt[1] != lab:
                self.error(i + 1, "STUB LAB %s after END LAB %s" % (nxt[1], lab))
            elif not nxt[2].strip():
                self.error(i + 1, "STUB LAB %s has no code (leave the STUB line out "
                           "to remove the region)" % lab)
            if region.instr is not None:
                self.regions.append(region)
            return i + 1
        if region.instr is not None:
            self.regions.append(region)
        return i

    def on_stub(self, i, lab, rest):
        self.error(i, "STUB LAB %s is not on the line right after an END LAB %s"
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
        if lab_key(r.lab) < lab_key(lab):
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
