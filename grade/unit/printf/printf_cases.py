"""Expected output of the kernel's printf self-test (test=printf), computed from
lib/printfmt_cases.h with Python's % operator (standard library only).

    import printf_cases
    lines = printf_cases.expected_lines("lib/printfmt_cases.h")
    # ["printf-test: %d => [0]", ...]; the kernel then prints "printf-test: done"

Run as a script to compare a captured serial log:  python3 printf_cases.py CASES LOG
"""
import re
import sys

# C type of each TYPE name: (bits, signed).
TYPE_BITS = {
    "SCHAR": (8, True), "UCHAR": (8, False), "SHORT": (16, True), "USHORT": (16, False),
    "INT": (32, True), "UINT": (32, False), "LONG": (64, True), "ULONG": (64, False),
    "LLONG": (64, True), "ULLONG": (64, False), "SIZE": (64, False),
}
# Width an integer is narrowed to by its length modifier (x86-64: int 32, long 64).
LEN_BITS = {"hh": 8, "h": 16, "": 32, "l": 64, "ll": 64, "z": 64}

DIRECTIVE = re.compile(r"%([-0+ #]*)(\*|\d+)?(\.\d*)?(hh|h|ll|l|z)?([diuxXopsc%])")
CASE_LINE = re.compile(r'^CASE(_STAR)?\("([^"\\]*)",\s*(?:(-?\d+),\s*)?(\w+),\s*(.+)\)\s*$')
C_SUFFIX = re.compile(r"(?<=[0-9a-fA-F])[uUlL]+\b")
INT_EXPR = re.compile(r"^[-+()0-9a-fA-Fx\s]+$")


def wrap(value, bits, signed):
    """Two's-complement conversion of an integer to a C type of `bits` bits."""
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def parse_value(text):
    text = text.strip()
    if text == "NULL":
        return None
    if text.startswith('"'):
        return text[1:-1]
    if text.startswith("'"):
        return ord(text[1])
    text = C_SUFFIX.sub("", text)
    if not INT_EXPR.match(text):
        raise ValueError("not an integer expression: %r" % text)
    return eval(text, {"__builtins__": {}})  # digits, 0x, + - and parentheses only


def expected_output(fmt, star, ctype, value):
    """What C's printf(fmt, [star,] (ctype)value) prints."""
    convs = [d for d in DIRECTIVE.finditer(fmt) if d.group(5) != "%"]
    if len(convs) != 1:
        raise ValueError("a case has exactly one conversion: %r" % fmt)
    d = convs[0]
    flags, width, prec = d.group(1), d.group(2) or "", d.group(3) or ""
    length, conv = d.group(4) or "", d.group(5)
    arg = value
    if conv in "diuxXo":
        bits, signed = TYPE_BITS[ctype]
        arg = wrap(wrap(value, bits, signed), LEN_BITS[length], conv in "di")
    elif conv == "p":
        arg, conv = ("(nil)" if value == 0 else "0x%x" % value), "s"
    elif conv == "s" and value is None:
        arg = "(null)"
    pyfmt = fmt[:d.start()] + "%" + flags + width + prec + conv + fmt[d.end():]
    return pyfmt % ((star, arg) if width == "*" else (arg,))


def expected_lines(path):
    lines = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("CASE"):
                continue
            m = CASE_LINE.match(line)
            if not m:
                raise ValueError("malformed case: %r" % line)
            star = int(m.group(3)) if m.group(1) else None
            out = expected_output(m.group(2), star, m.group(4), parse_value(m.group(5)))
            lines.append("printf-test: %s => [%s]" % (m.group(2), out))
    return lines


def main(cases_path, log_path):
    want = expected_lines(cases_path) + ["printf-test: done"]
    with open(log_path, errors="replace") as f:
        got = [l.rstrip("\r\n") for l in f if l.startswith("printf-test: ")]
    bad = sum(1 for w, g in zip(want, got) if w != g) + abs(len(want) - len(got))
    for w, g in zip(want, got):
        if w != g:
            print("want %r\n got %r" % (w, g))
    print("%d lines expected, %d printed, %d wrong" % (len(want), len(got), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
