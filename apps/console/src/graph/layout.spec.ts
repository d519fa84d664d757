import { layoutGraph, NODE } from './layout';

const rowsOf = (layout: ReturnType<typeof layoutGraph>) => Object.fromEntries(layout.steps.map((s) => [s.name, s.row]));

describe(layoutGraph.name, () => {
  it('puts each step one row below the deepest step it depends on', () => {
    const layout = layoutGraph([
      { name: 'reserve', dependsOn: [] },
      { name: 'charge', dependsOn: ['reserve'] },
      { name: 'notify', dependsOn: [] },
      { name: 'ship', dependsOn: ['charge', 'notify'] },
    ]);
    expect(rowsOf(layout)).toEqual({ reserve: 0, notify: 0, charge: 1, ship: 2 });
    expect(layout.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['reserve->charge', 'charge->ship', 'notify->ship']);
    expect(layout.height).toBe(2 * NODE.margin + 3 * NODE.height + 2 * NODE.gapY);
  });

  it('lays steps of one row side by side without overlapping, inside the drawing', () => {
    const layout = layoutGraph([
      { name: 'a', dependsOn: [] },
      { name: 'b', dependsOn: [] },
      { name: 'c', dependsOn: [] },
      { name: 'd', dependsOn: ['a', 'b', 'c'] },
    ]);
    const top = layout.steps.filter((s) => s.row === 0).sort((p, q) => p.x - q.x);
    for (let i = 1; i < top.length; i++) expect(top[i].x - top[i - 1].x).toBeGreaterThanOrEqual(NODE.width);
    for (const s of layout.steps) {
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.x + NODE.width).toBeLessThanOrEqual(layout.width);
      expect(s.y + NODE.height).toBeLessThanOrEqual(layout.height);
    }
    // The joining step is centred under the three it waits for.
    const d = layout.steps.find((s) => s.name === 'd')!;
    expect(d.x).toBe(top[1].x);
  });

  it('orders a row by where its dependencies sit, so parallel branches do not cross', () => {
    const layout = layoutGraph([
      { name: 'left', dependsOn: [] },
      { name: 'right', dependsOn: [] },
      { name: 'under-right', dependsOn: ['right'] },
      { name: 'under-left', dependsOn: ['left'] },
    ]);
    const x = Object.fromEntries(layout.steps.map((s) => [s.name, s.x]));
    expect(x['under-left']).toBeLessThan(x['under-right']);
  });

  it('draws a chain as one column, and nothing for no steps', () => {
    const chain = layoutGraph([
      { name: 'one', dependsOn: [] },
      { name: 'two', dependsOn: ['one'] },
      { name: 'three', dependsOn: ['two'] },
    ]);
    expect(new Set(chain.steps.map((s) => s.x)).size).toBe(1);
    expect(chain.width).toBe(2 * NODE.margin + NODE.width);
    expect(layoutGraph([])).toEqual({ steps: [], edges: [], width: 0, height: 0 });
  });
});
