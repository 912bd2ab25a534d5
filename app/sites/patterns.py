"""Owner regular expressions, kept to a subset that runs in linear time (no Flask).

A catalog item with `match: regex` runs on the server (catalog check, banner build) and in every
visitor's browser on withdrawal, both backtracking engines. Catastrophic backtracking needs a
quantifier over something that can itself match in several ways: a nested quantifier, or an
alternation under a quantifier. Backreferences and lookaround are outside the subset too, and so
is syntax that Python and JavaScript read differently (inline flags, atomic groups, possessive
quantifiers, \\A and \\Z), so the pattern means the same on both sides.
"""
import re

# The parser behind re.compile: the only way to see a pattern's structure without writing a
# regular-expression parser of our own.
import re._constants as sre
import re._parser as sre_parse
from functools import lru_cache

MAX_PATTERN_LENGTH = 100
REFUSED_NODES = {
    sre.GROUPREF: "a backreference",
    sre.GROUPREF_EXISTS: "a conditional group",
    sre.ASSERT: "a lookahead or lookbehind",
    sre.ASSERT_NOT: "a negative lookahead or lookbehind",
    sre.ATOMIC_GROUP: "an atomic group",
    sre.POSSESSIVE_REPEAT: "a possessive quantifier",
}
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)
PYTHON_ONLY_ANCHORS = (sre.AT_BEGINNING_STRING, sre.AT_END_STRING)


@lru_cache(maxsize=4096)
def pattern_problem(pattern):
    """Return why a regular expression is outside the safe subset, or None when it is inside."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"is longer than {MAX_PATTERN_LENGTH} characters"
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as error:
        return f"is not a valid regular expression: {error}"
    if parsed.state.flags & ~(sre.SRE_FLAG_UNICODE):
        return "uses inline flags such as (?i), which JavaScript does not read"
    return _walk(list(parsed), inside_repeat=False)


def is_safe_pattern(pattern):
    """Tell whether a regular expression is inside the safe subset."""
    return pattern_problem(pattern) is None


def _walk(nodes, inside_repeat):
    for op, value in nodes:
        if op in REFUSED_NODES:
            return f"uses {REFUSED_NODES[op]}, which the safe subset leaves out"
        if op == sre.AT and value in PYTHON_ONLY_ANCHORS:
            return "uses \\A or \\Z; use ^ and $"
        problem = _walk_node(op, value, inside_repeat)
        if problem:
            return problem
    return None


def _walk_node(op, value, inside_repeat):
    if op in REPEATS:
        low, high, body = value
        # Under a repeat, a part that can match different lengths splits the input in many
        # ways, and a backtracking engine tries them all: (a+)*, (a{1,3})*, (a?)+.
        if inside_repeat and low != high:
            return ("nests a quantifier inside a quantified group, which can take exponential "
                    "time; quantify single characters or classes only")
        return _walk(list(body), inside_repeat or high > 1)
    if op == sre.SUBPATTERN:
        _group, add_flags, del_flags, body = value
        if add_flags or del_flags:
            return "uses inline flags such as (?i), which JavaScript does not read"
        return _walk(list(body), inside_repeat)
    if op == sre.BRANCH:
        if inside_repeat:
            return ("repeats an alternation (a|b)*, which can take exponential time; use a "
                    "character class [ab]* instead")
        return next((problem for branch in value[1]
                     if (problem := _walk(list(branch), inside_repeat))), None)
    return None
