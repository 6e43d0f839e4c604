// Maps a result's dotted field path (`spec.loki.retention`, `spec.alloy.metrics.extraScrapes[0].name`)
// to the line of the YAML text that holds it, for the playground's editor. An outline of the
// block-style YAML is built from indentation (keys, sequence items, block scalars skipped); the
// path is followed as far as the text has it. A field the text lacks (a missing required field)
// resolves to its nearest ancestor, with `exact: false`. Flow-style values (`{a: 1}`) are one
// node: a path into them stops at their key.

/** Splits a dotted path into keys and sequence indexes: `a.b[0].c` → ["a", "b", 0, "c"]. */
export function parsePath(path) {
  const segments = [];
  for (const part of path.split(".")) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      segments.push(part);
      continue;
    }
    if (match[1] !== "") segments.push(match[1]);
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]][^#]*?)\s*:(?:\s+(.*))?$/;

function unquote(key) {
  if (key.startsWith('"')) return JSON.parse(key);
  if (key.startsWith("'")) return key.slice(1, -1).replaceAll("''", "'");
  return key;
}

/** The outline of one YAML document: nested {type: "key"|"item", name|index, line, children}. */
export function outline(lines, first = 0, last = lines.length) {
  const root = { type: "root", col: -1, line: first, children: [], items: 0 };
  const stack = [root];
  let scalarCol = null; // inside a block scalar: lines indented deeper than this are text
  const popWhile = (keep) => {
    while (stack.length > 1 && !keep(stack[stack.length - 1])) stack.pop();
  };
  for (let i = first; i < last; i++) {
    const line = lines[i];
    const trimmed = line.trimStart();
    let col = line.length - trimmed.length;
    if (scalarCol !== null) {
      if (trimmed === "" || col > scalarCol) continue;
      scalarCol = null;
    }
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    let rest = trimmed;
    while (rest === "-" || rest.startsWith("- ")) {
      // A sequence item belongs to the nearest key left of it, or to an open key at its column.
      popWhile((node) => node.col < col || (node.col === col && node.type === "key" && node.open));
      const parent = stack[stack.length - 1];
      const item = { type: "item", index: parent.items++, line: i, col, children: [], items: 0 };
      parent.children.push(item);
      stack.push(item);
      let skip = 1;
      while (rest[skip] === " ") skip++;
      col += skip;
      rest = rest.slice(skip);
      if (rest === "") break;
    }
    const match = rest === "" ? null : KEY.exec(rest);
    if (!match) continue;
    popWhile((node) => node.col < col);
    const parent = stack[stack.length - 1];
    const value = (match[2] ?? "").replace(/\s+#.*$/, "");
    const key = {
      type: "key",
      name: unquote(match[1]),
      line: i,
      col,
      children: [],
      items: 0,
      open: value === "",
    };
    parent.children.push(key);
    stack.push(key);
    if (/^[|>][0-9+-]*$/.test(value)) scalarCol = col;
  }
  return root;
}

/** The YAML documents of a stream: [first line, end line) pairs. */
function documents(lines) {
  const docs = [];
  let start = 0;
  lines.forEach((line, i) => {
    if (/^---(\s|$)/.test(line)) {
      docs.push([start, i]);
      start = i + 1;
    }
  });
  docs.push([start, lines.length]);
  return docs.filter(([a, b]) => lines.slice(a, b).some((l) => l.trim() !== "" && !l.trimStart().startsWith("#")));
}

function childValue(node, name) {
  return node.children.find((c) => c.type === "key" && c.name === name);
}

function scalarOf(node, lines) {
  if (!node) return undefined;
  const match = KEY.exec(lines[node.line].slice(node.col));
  return match ? (match[2] ?? "").replace(/\s+#.*$/, "").replace(/^["']|["']$/g, "") : undefined;
}

/**
 * The 1-based line of `path` in `text`: { line, exact, found } (found: the part of the path the
 * text has), or null when not even the first segment is there. With several documents,
 * `resource` ({kind, name}) picks the one it is about.
 */
export function fieldLine(text, path, resource) {
  const lines = text.split("\n");
  const docs = documents(lines).map(([a, b]) => outline(lines, a, b));
  if (docs.length === 0) return null;
  let doc = docs[0];
  if (resource && docs.length > 1) {
    doc =
      docs.find((d) => {
        const metadata = childValue(d, "metadata");
        return (
          scalarOf(childValue(d, "kind"), lines) === resource.kind &&
          (!metadata || scalarOf(childValue(metadata, "name"), lines) === resource.name)
        );
      }) ?? doc;
  }
  const segments = parsePath(path);
  let node = doc;
  let matched = 0;
  while (matched < segments.length) {
    const segment = segments[matched];
    let next;
    let used = 1;
    if (typeof segment === "number") {
      next = node.children.find((c) => c.type === "item" && c.index === segment);
    } else {
      // A key may itself contain dots (`auth.generic_oauth`): try the longest join first.
      for (let n = segments.length - matched; n >= 1 && !next; n--) {
        const parts = segments.slice(matched, matched + n);
        if (parts.some((p) => typeof p === "number")) continue;
        next = childValue(node, parts.join("."));
        used = n;
      }
    }
    if (!next) break;
    node = next;
    matched += used;
  }
  if (node === doc) return null;
  return {
    line: node.line + 1,
    exact: matched === segments.length,
    found: segments.slice(0, matched).reduce((p, s) => (typeof s === "number" ? `${p}[${s}]` : p ? `${p}.${s}` : s), ""),
  };
}
