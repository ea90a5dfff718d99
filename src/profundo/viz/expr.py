"""A safe calculator for ``profundo graph "x**2 * sin(x) + y"``.

The expression is parsed with ``ast`` and only a whitelist is accepted:
numbers, variable names, + - * / ** @ and unary minus, and calls to the math
functions listed in ``FUNCTIONS``.  Nothing else is evaluated -- no
attributes, no subscripts, no imports, no other calls -- and the error points
at the offending part of the text.
"""
import ast
import math

from .._errors import error

FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "log1p", "sqrt", "tanh", "sigmoid", "relu", "abs", "sum", "mean",
             "sinh", "cosh", "asin", "acos", "atan", "square", "reciprocal")
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
MAX_LENGTH, MAX_NODES, MAX_EXPONENT, MAX_NUMBER = 500, 200, 64, 1e12
_HINT = ("solo se permiten números, variables, + - * / ** @ y funciones como sin, exp, log, sqrt, tanh, "
         "sigmoid, relu, sum, mean")


def _refuse(text, node, why):
    start = getattr(node, "col_offset", 0)
    end = getattr(node, "end_col_offset", None) or start + 1
    pointer = " " * start + "^" * max(1, end - start)
    return error(ValueError, "profundo graph", f"{why}\n  {text}\n  {pointer}", _HINT)


def parse(text):
    """The checked AST of ``text`` and the variable names it uses."""
    if not isinstance(text, str) or not text.strip():
        raise error(ValueError, "profundo graph", "empty expression", "p. ej. profundo graph \"x**2 + 1\"")
    if len(text) > MAX_LENGTH:
        raise error(ValueError, "profundo graph", f"expression too long ({len(text)} > {MAX_LENGTH} characters)",
                    "escribe una expresión más corta")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        offset = max(0, (e.offset or 1) - 1)
        raise error(ValueError, "profundo graph", f"invalid syntax: {e.msg}\n  {text.strip()}\n  {' ' * offset}^",
                    "revisa paréntesis y operadores; la potencia es ** (no ^)") from None
    text = text.strip()
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise error(ValueError, "profundo graph", f"expression too large ({len(nodes)} parts > {MAX_NODES})",
                    "escribe una expresión más corta")
    names = []
    for node in nodes:
        if isinstance(node, (ast.Expression, ast.Load) + tuple(_BINOPS) + (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise _refuse(text, node, f"operator {type(node.op).__name__} is not allowed")
            exponent = node.right.operand if isinstance(node.right, ast.UnaryOp) else node.right
            if isinstance(node.op, ast.Pow) and isinstance(exponent, ast.Constant) \
                    and isinstance(exponent.value, (int, float)) and abs(exponent.value) > MAX_EXPONENT:
                raise _refuse(text, node.right, f"exponent {ast.unparse(node.right)} is too large "
                              f"(limit {MAX_EXPONENT})")
            if isinstance(node.op, ast.Pow) and isinstance(node.right, (ast.BinOp, ast.UnaryOp)) \
                    and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.right)):
                raise _refuse(text, node.right, "nested powers (a ** b ** c) are not allowed")
            continue
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _refuse(text, node, f"operator {type(node.op).__name__} is not allowed")
            continue
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float) or abs(node.value) > MAX_NUMBER:
                raise _refuse(text, node, f"only numbers up to {MAX_NUMBER:g} are allowed, got {node.value!r}")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise _refuse(text, node.func, f"calling {ast.unparse(node.func)!r} is not allowed")
            if node.keywords or len(node.args) != 1:
                raise _refuse(text, node, f"{node.func.id}() takes exactly one argument")
            continue
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise _refuse(text, node, f"name {node.id!r} is not allowed")
            if node.id not in FUNCTIONS and node.id not in CONSTANTS and node.id not in names:
                names.append(node.id)
            continue
        what = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
                ast.Compare: "comparisons"}.get(type(node), type(node).__name__)
        raise _refuse(text, node, f"{what} is not allowed")
    # a function name used as a variable (``sin + 1``) is refused
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and not any(
                isinstance(p, ast.Call) and p.func is node for p in nodes):
            raise _refuse(text, node, f"{node.id} is a function: call it, e.g. {node.id}(x)")
    return tree, names


def evaluate(tree, values):
    """Evaluate a checked tree on tensors (``values``: name -> Tensor)."""
    import profundo

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):  # numbers stay Python numbers: x ** 2 is PowBackward0, as in torch
            return float(node.value)
        if isinstance(node, ast.Name):
            return values[node.id] if node.id in values else CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if not isinstance(a, profundo.Tensor):
                a = profundo.tensor(a)
            op = _BINOPS[type(node.op)]
            return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "**": a.__pow__,
                    "@": a.__matmul__}[op](b)
        if isinstance(node, ast.Call):
            x = ev(node.args[0])
            return getattr(profundo, node.func.id)(x if isinstance(x, profundo.Tensor) else profundo.tensor(x))
        raise AssertionError(type(node))  # parse() let nothing else through

    result = ev(tree)
    return result if isinstance(result, profundo.Tensor) else profundo.tensor(result)
