"""The shape of `pmo_saas/`, read from its source with `ast` (nothing is imported).

(a) Domain packages do not import each other in a cycle (kernel, ui, db, settings and the app
    modules are infrastructure, outside the domain graph).
(b) No services or models module (nor kernel) reaches Reflex, directly or through other
    pmo_saas modules: services stay plain Python.
(c) No module is over 600 lines.
(d) No page module (under a `pages` package, or a pages.py) catches `DomainError`: turning a
    refusal into the page's message is the page-state mixins' job (identity/page_state.py).
(e) No constructor of a tenant-owned table sets `org_id` by hand: the tenant session stamps
    it. A row made outside a tenant session says so on that line: `# org_id by hand: <why>`.

Every import counts: module-level, inside functions, and `importlib.import_module("pmo_saas...")`.
Today's offenders of (a) and (c) are listed in KNOWN_DEBT: a new offender fails, and so does a
listed one that no longer offends (remove it from the list: it only shrinks).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pmo_saas"
DOMAINS = (
    "identity",
    "billing",
    "portfolio",
    "assessments",
    "coaching",
    "surveys",
    "dashboard",
    "rest",
    "practices",
    "capacity",
    "delivery",
    "home",
    "collaboration",
    "rollout",
    "programmes",
)
MAX_LINES = 600

# Cycles between domains as they stand (each written from its alphabetically first domain).
# Other helpers are removing them; delete a line when its cycle is gone.
KNOWN_DEBT_CYCLES: set[str] = set()

# Modules over MAX_LINES lines today; each is being split by its domain's helper.
KNOWN_DEBT_LONG: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if ".web" not in p.parts}


def _is_package(name: str) -> bool:
    return _modules()[name].name == "__init__.py"


def _raw_imports(name: str) -> Iterator[str]:
    """Every dotted name the module imports (absolute), wherever the import sits."""
    tree = ast.parse(_modules()[name].read_text(encoding="utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


@cache
def _imports(name: str) -> tuple[frozenset[str], bool]:
    """(the pmo_saas modules it runs on import, with their parent packages; imports reflex?)"""
    modules = _modules()
    found: set[str] = set()
    reflex = False
    for dotted in _raw_imports(name):
        top = dotted.split(".")[0]
        if top == "reflex":
            reflex = True
        if top != "pmo_saas":
            continue
        parts = dotted.split(".")
        while parts and ".".join(parts) not in modules:  # `from pkg import name`: name not a module
            parts.pop()
        for n in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b first
            found.add(".".join(parts[:n]))
    found.discard(name)
    return frozenset(found), reflex


def _domain(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


def _domain_edges() -> dict[str, dict[str, list[str]]]:
    """domain -> domain it imports -> the 'module -> module' imports that make the edge."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in _modules():
        source = _domain(name)
        if source is None:
            continue
        targets = _imports(name)[0]
        for target in sorted(targets):
            if any(t.startswith(target + ".") for t in targets):
                continue  # a parent package of a module it imports: the module says more
            target_domain = _domain(target)
            if target_domain and target_domain != source:
                edges[source][target_domain].append(f"{name} -> {target}")
    return edges


def _cycles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every elementary cycle of the domain graph, each starting at its smallest domain."""
    found: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, {})):
            if nxt == start:
                found.append([*path, start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(edges):
        walk(start, start, [start])
    return found


def test_no_import_cycle_between_domains():
    edges = _domain_edges()
    cycles = {" -> ".join(c): c for c in _cycles(edges)}
    new = sorted(set(cycles) - KNOWN_DEBT_CYCLES)
    report = []
    for text in new:
        path = cycles[text]
        report.append(f"cycle {text}:")
        for a, b in pairwise(path):
            report.extend(f"    {line}" for line in edges[a][b][:3])
    assert not new, "New import cycle(s) between domains:\n" + "\n".join(report)
    gone = sorted(KNOWN_DEBT_CYCLES - set(cycles))
    assert not gone, f"Fixed, so remove from KNOWN_DEBT_CYCLES: {gone}"


def _plain_python(name: str) -> bool:
    parts = name.split(".")
    return (
        parts[-1] in ("services", "models")
        or (len(parts) > 2 and parts[-2] == "services")
        or (len(parts) > 1 and parts[1] == "kernel")
    )


def _path_to_reflex(name: str) -> list[str] | None:
    """The chain of pmo_saas imports from `name` to a module importing reflex, if any."""
    seen = {name}
    queue = [[name]]
    while queue:
        chain = queue.pop(0)
        targets, reflex = _imports(chain[-1])
        if reflex:
            return chain
        for target in sorted(targets - seen):
            seen.add(target)
            queue.append([*chain, target])
    return None


def test_services_and_models_never_reach_reflex():
    chains = {}
    for name in _modules():
        if _plain_python(name):
            chain = _path_to_reflex(name)
            if chain:
                chains[name] = chain
    assert not chains, "Reflex reached from plain-Python modules:\n" + "\n".join(
        " -> ".join([*chain, "reflex"]) for chain in chains.values()
    )


def test_no_module_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    new = {p: n for p, n in sorted(long.items()) if p not in KNOWN_DEBT_LONG}
    assert not new, f"Modules over {MAX_LINES} lines (split them by page or topic): {new}"
    gone = sorted(KNOWN_DEBT_LONG - set(long))
    assert not gone, f"Now short enough, so remove from KNOWN_DEBT_LONG: {gone}"


def _tree(name: str) -> ast.Module:
    return ast.parse(_modules()[name].read_text(encoding="utf-8"))


def _catches_domain_error(tree: ast.AST) -> list[int]:
    """Lines of `except DomainError` (alone, dotted or in a tuple)."""

    def named(node: ast.expr | None) -> bool:
        if isinstance(node, ast.Tuple):
            return any(named(e) for e in node.elts)
        return (isinstance(node, ast.Name) and node.id == "DomainError") or (
            isinstance(node, ast.Attribute) and node.attr == "DomainError"
        )

    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and named(node.type)
    ]


def _is_page_module(name: str) -> bool:
    return "pages" in name.split(".")[1:]


def test_pages_leave_domain_errors_to_the_page_state_mixins():
    found = {
        name: lines
        for name in _modules()
        if _is_page_module(name) and (lines := _catches_domain_error(_tree(name)))
    }
    assert not found, (
        "`except DomainError` in page modules (use WorkspacePage._act/_load or "
        f"PublicPage._run from identity/page_state.py, or extend them): {found}"
    )


HAND_SET_REASON = "# org_id by hand:"


def _tenant_owned_classes() -> set[str]:
    """Names of the classes that subclass TenantOwned, directly or through another."""
    bases: dict[str, set[str]] = {}
    for name in _modules():
        for node in ast.walk(_tree(name)):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                )
    owned = {"TenantOwned"}
    grew = True
    while grew:
        new = {cls for cls, parents in bases.items() if parents & owned} - owned
        owned |= new
        grew = bool(new)
    owned.discard("TenantOwned")
    return owned


def _hand_set_org_ids(source: str, owned: set[str]) -> list[str]:
    """`Row(org_id=...)` for a tenant-owned Row, unless its line states why."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        cls = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if cls not in owned:
            continue
        for keyword in node.keywords:
            if keyword.arg == "org_id" and HAND_SET_REASON not in lines[keyword.lineno - 1]:
                found.append(f"{cls}(org_id=...) line {keyword.lineno}")
    return found


def test_tenant_rows_leave_org_id_to_the_tenant_session():
    owned = _tenant_owned_classes()
    assert {"ApiKey", "ShareLink", "Initiative", "AuditEvent"} <= owned
    found = {
        name: hits
        for name, path in _modules().items()
        if (hits := _hand_set_org_ids(path.read_text(encoding="utf-8"), owned))
    }
    assert not found, (
        "org_id set by hand on rows the tenant session stamps (drop it; a row made outside "
        f"a tenant session states why with '{HAND_SET_REASON} <reason>'): {found}"
    )


def test_the_page_and_org_id_checks_see_what_they_look_for():
    caught = "try:\n    x()\nexcept (ValueError, errors.DomainError):\n    pass\n"
    assert _catches_domain_error(ast.parse(caught)) == [3]
    assert _is_page_module("pmo_saas.identity.pages.public")
    assert _is_page_module("pmo_saas.billing.pages")
    assert not _is_page_module("pmo_saas.identity.page_state")
    made = "ApiKey(name='x', org_id=ctx.org_id)\nApiKey(org_id=1)  # org_id by hand: sign-in\n"
    assert _hand_set_org_ids(made, {"ApiKey"}) == ["ApiKey(org_id=...) line 1"]


def test_the_import_reader_sees_every_kind_of_import():
    """The checks above are only as good as this reader: each import form is found."""
    assert "pmo_saas.portfolio.services.initiatives" in _imports("pmo_saas.portfolio.views")[0]
    # importlib.import_module("pmo_saas.dashboard.pages") at module level
    assert "pmo_saas.dashboard.pages" in _imports("pmo_saas.pmo_saas")[0]
    assert _imports("pmo_saas.identity.page_state")[1]  # `import reflex as rx`
    assert not _imports("pmo_saas.kernel.errors")[1]


def test_the_cycle_finder_names_each_cycle_once():
    edges: dict[str, dict[str, list[str]]] = {
        "a": {"b": ["x"]},
        "b": {"c": ["x"], "a": ["x"]},
        "c": {"a": ["x"]},
        "d": {"a": ["x"]},
    }
    assert _cycles(edges) == [["a", "b", "a"], ["a", "b", "c", "a"]]
