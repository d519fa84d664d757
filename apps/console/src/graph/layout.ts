/** Lays a definition's steps out as a graph, top to bottom: a step sits one
 * row below the deepest step it depends on, and within a row steps are
 * ordered by where their dependencies sit, which keeps most edges from
 * crossing. Pure: the SVG is drawn from what this returns. */

export interface GraphStep {
  name: string;
  dependsOn: readonly string[];
}

export interface PlacedStep {
  name: string;
  /** Top-left corner. */
  x: number;
  y: number;
  row: number;
}

export interface Edge {
  from: string;
  to: string;
  /** An SVG path from the bottom of `from` to the top of `to`. */
  path: string;
}

export interface GraphLayout {
  steps: PlacedStep[];
  edges: Edge[];
  width: number;
  height: number;
}

export const NODE = { width: 168, height: 48, gapX: 28, gapY: 52, margin: 8 } as const;

export function layoutGraph(steps: readonly GraphStep[]): GraphLayout {
  const known = new Map(steps.map((s) => [s.name, s]));
  const rowOf = new Map<string, number>();
  const depth = (name: string, seen: Set<string>): number => {
    const cached = rowOf.get(name);
    if (cached !== undefined) return cached;
    // A definition the API accepted has no cycle; `seen` keeps a broken one finite.
    seen.add(name);
    const deps = (known.get(name)?.dependsOn ?? []).filter((d) => known.has(d) && !seen.has(d));
    const row = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => depth(d, seen)));
    seen.delete(name);
    rowOf.set(name, row);
    return row;
  };
  steps.forEach((s) => depth(s.name, new Set()));

  const rows: string[][] = [];
  steps.forEach((s) => (rows[rowOf.get(s.name)!] ??= []).push(s.name));
  const column = new Map<string, number>();
  rows.forEach((names, r) => {
    if (r > 0) {
      const centre = (name: string) => {
        const deps = known.get(name)!.dependsOn.filter((d) => column.has(d));
        return deps.length === 0 ? 0 : deps.reduce((sum, d) => sum + column.get(d)!, 0) / deps.length;
      };
      // Stable: steps with the same centre keep the definition's order.
      names.sort((a, b) => centre(a) - centre(b));
    }
    const offset = -(names.length - 1) / 2;
    names.forEach((name, i) => column.set(name, offset + i));
  });

  const columns = [...column.values()];
  const minColumn = Math.min(...columns);
  const span = Math.max(...columns) - minColumn;
  const placed: PlacedStep[] = steps.map((s) => ({
    name: s.name,
    x: NODE.margin + (column.get(s.name)! - minColumn) * (NODE.width + NODE.gapX),
    y: NODE.margin + rowOf.get(s.name)! * (NODE.height + NODE.gapY),
    row: rowOf.get(s.name)!,
  }));
  const at = new Map(placed.map((p) => [p.name, p]));
  const edges: Edge[] = steps.flatMap((s) =>
    s.dependsOn
      .filter((d) => at.has(d))
      .map((d) => {
        const from = at.get(d)!;
        const to = at.get(s.name)!;
        const x1 = from.x + NODE.width / 2;
        const y1 = from.y + NODE.height;
        const x2 = to.x + NODE.width / 2;
        const y2 = to.y;
        const bend = (y2 - y1) / 2;
        return { from: d, to: s.name, path: `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}` };
      }),
  );
  return {
    steps: placed,
    edges,
    width: steps.length === 0 ? 0 : 2 * NODE.margin + span * (NODE.width + NODE.gapX) + NODE.width,
    height: steps.length === 0 ? 0 : 2 * NODE.margin + rows.length * NODE.height + (rows.length - 1) * NODE.gapY,
  };
}
