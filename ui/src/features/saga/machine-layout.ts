import type { SagaDefinitionGraph } from '@sagaflow/contracts';

export interface PlacedState {
  name: string;
  final: boolean;
  compensating: boolean;
  column: number;
  row: number;
}

/**
 * Places a definition's states on a grid: the column is the longest path from the initial state, so
 * that every transition points right; the forward path on the top row, compensation below it. A final
 * state sits on the row of the states that lead to it.
 */
export function layoutMachine(graph: SagaDefinitionGraph): PlacedState[] {
  const column = new Map<string, number>([[graph.initial, 0]]);
  // Longest path by relaxation; a cycle cannot push a state further than the number of states.
  for (let round = 0; round < graph.states.length; round++) {
    let moved = false;
    for (const t of graph.transitions) {
      const from = column.get(t.from);
      if (from === undefined) continue;
      if ((column.get(t.to) ?? -1) < from + 1 && from + 1 < graph.states.length) {
        column.set(t.to, from + 1);
        moved = true;
      }
    }
    if (!moved) break;
  }
  const byName = new Map(graph.states.map((s) => [s.name, s]));
  const rowOf = (name: string): number => {
    const state = byName.get(name)!;
    if (!state.final) return state.compensating ? 1 : 0;
    const sources = graph.transitions.filter((t) => t.to === name).map((t) => byName.get(t.from));
    return sources.some((s) => s && !s.compensating) ? 0 : 1;
  };
  const placed = graph.states.map((s) => ({ ...s, column: column.get(s.name) ?? 0, row: rowOf(s.name) }));
  // Two states in one cell: the later one moves a row down.
  const taken = new Set<string>();
  for (const p of placed) {
    while (taken.has(`${p.column}:${p.row}`)) p.row++;
    taken.add(`${p.column}:${p.row}`);
  }
  return placed;
}
