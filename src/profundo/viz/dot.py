"""DOT text (Graphviz's language) for a drawing model: written by profundo, no dependency."""

STYLE = {  # fill colours: leaves blue, parameters gold, outputs green, ops grey
    "leaf": 'shape=record, style="filled", fillcolor="#cfe2ff"',
    "parameter": 'shape=record, style="filled,bold", fillcolor="#ffe69c"',
    "intermediate": 'shape=record, style="filled", fillcolor="#ffffff"',
    "output": 'shape=record, style="filled,bold", fillcolor="#d1e7dd"',
    "op": 'shape=ellipse, style="filled", fillcolor="#e9ecef", fontsize=11',
    "module": 'shape=box3d, style="filled", fillcolor="#f8d7da"',
}
HIGHLIGHT = 'color="#dc3545", penwidth=3'


def _esc_record(text):
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _esc(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def node_label(v):
    """The text lines of a node (the same in DOT and in the matplotlib drawing)."""
    title = v.title
    if v.kind in ("op", "module") and v.order is not None:
        title = f"#{v.order} {title}"
    elif v.order is not None:
        title = f"{title} (#{v.order})".strip()
    return [title] + list(v.lines) if title else list(v.lines)


def to_dot(model, highlight=None, name="profundo"):
    lines = [f"digraph {name} {{", f"  rankdir={model.rankdir};",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];']
    clusters = {}
    for v in model.nodes.values():
        label = node_label(v)
        if v.kind in ("op", "module"):
            text = "\\n".join(_esc(x) for x in label)
        else:
            # a record: fields side by side left-to-right (micrograd's picture), stacked top-to-bottom
            fields = " | ".join(_esc_record(x) for x in label)
            text = "{ " + fields + " }" if model.rankdir in ("LR", "RL") else fields
        extra = f", {HIGHLIGHT}" if highlight and v.id in highlight else ""
        decl = f'  {v.id} [label="{text}", {STYLE[v.kind]}{extra}];'
        if v.scope and v.kind == "op":
            clusters.setdefault(v.scope, []).append(decl)
        else:
            lines.append(decl)
    for i, (scope, decls) in enumerate(clusters.items()):
        lines.append(f'  subgraph cluster_{i} {{ label="{_esc(scope)}"; style="dashed";')
        lines.extend("  " + d for d in decls)
        lines.append("  }")
    for a, b, label in model.edges:
        attrs = f' [label="{_esc(label)}", fontcolor="#dc3545", color="#dc3545"]' if label else ""
        lines.append(f"  {a} -> {b}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
