"""The closed set of language-neutral token categories.

Every grammar file (``grammars/<language>.toml``) maps tree-sitter node kinds onto these categories,
so a Go function and its Rust translation lower to comparable token streams. The set is defined here
and nowhere else; a grammar file naming any other category fails to load.

Codes are stable: fingerprints stored on disk hash these codes, so a new category is appended at the
end and ``CATEGORY_SET_VERSION`` is bumped; existing codes never change meaning.
"""

from __future__ import annotations

__all__ = ["CATEGORIES", "CATEGORY_CODES", "CATEGORY_SET_VERSION", "category_name", "DESCRIPTIONS"]

#: Bumped whenever a category is added; recorded with every stored fingerprint set.
CATEGORY_SET_VERSION = 1

#: name -> what the category stands for. Order defines the codes (1-based; 0 means "no token").
DESCRIPTIONS: dict[str, str] = {
    # declarations
    "function": "a function, method or procedure definition",
    "lambda": "an anonymous function or closure",
    "parameter": "a formal parameter of a function",
    "type_decl": "a type declaration: struct, class, enum, union, interface, record, type alias",
    "field_decl": "a field or member declaration inside a type",
    "var_decl": "a local or global variable/constant declaration or binding (let, var, :=)",
    "import": "an import, include, use or open of another module",
    # control flow
    "branch": "a conditional: if, ternary, guard",
    "else": "the alternative of a conditional: else, elif, else if",
    "switch": "a multi-way branch: switch, match, case-of, select",
    "case": "one arm of a multi-way branch",
    "loop": "a loop: for, while, do, loop, range-for",
    "break": "a loop exit",
    "continue": "a jump to the next loop iteration",
    "jump": "an unstructured jump: goto, label",
    "return": "a return from the current function",
    "raise": "raising an error: throw, raise, panic!",
    "try": "a protected block: try, with-handlers, defer, begin-rescue",
    "catch": "an error handler: catch, except, exception handler",
    "yield": "a generator or coroutine point: yield, await",
    # expressions
    "call": "a function, method or macro call",
    "assign": "an assignment, compound assignment or increment/decrement",
    "compare": "a comparison operator: == != < > <= >=",
    "arith": "an arithmetic operator: + - * / %",
    "bitwise": "a bitwise operator: & | ^ << >> ~",
    "logic": "a boolean operator: && || ! and or not",
    "unary": "another unary operator: negation, dereference, address-of, reference",
    "index": "an index or slice expression",
    "field": "a member access: a.b, a->b, a::b",
    "cast": "a type conversion or cast",
    "construct": "a constructor: new, composite/struct literal, object creation",
    "collection": "a literal list, array, tuple, map or set",
    # atoms
    "identifier": "a name: variable, function, field or type reference",
    "string": "a string or character literal",
    "number": "a numeric literal",
    "bool": "a boolean literal",
    "null": "a null/nil/None/unit literal",
}

CATEGORIES: tuple[str, ...] = tuple(DESCRIPTIONS)
CATEGORY_CODES: dict[str, int] = {name: i + 1 for i, name in enumerate(CATEGORIES)}

# Codes must fit the uint8 token arrays.
assert len(CATEGORIES) < 255


def category_name(code: int) -> str:
    """The category name for a code (``"-"`` for 0, which marks no token)."""
    return CATEGORIES[code - 1] if code > 0 else "-"
