import type { SagaDefinitionGraph } from '@sagaflow/contracts';
import { layoutMachine } from './machine-layout';

const W = 136;
const H = 40;
const GAP_X = 40;
const GAP_Y = 56;

/** The saga's definition drawn from its machine, the current state highlighted and the visited ones shaded. */
export function StateMachine({
  graph,
  current,
  visited,
}: {
  graph: SagaDefinitionGraph;
  current: string;
  visited: ReadonlySet<string>;
}) {
  const placed = layoutMachine(graph);
  const at = new Map(placed.map((p) => [p.name, { x: p.column * (W + GAP_X) + 8, y: p.row * (H + GAP_Y) + 8, p }]));
  const width = Math.max(...placed.map((p) => p.column)) * (W + GAP_X) + W + 16;
  const height = Math.max(...placed.map((p) => p.row)) * (H + GAP_Y) + H + 16;
  return (
    <div className="machine-scroll">
      <svg
        className="machine"
        viewBox={`0 0 ${width} ${height}`}
        style={{ width: '100%', maxWidth: width, minWidth: Math.min(width, 640) }}
        role="img"
        aria-label={`State machine ${graph.id}; current state ${current}`}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrowhead" />
          </marker>
        </defs>
        {graph.transitions.map((t, i) => {
          const a = at.get(t.from);
          const b = at.get(t.to);
          if (!a || !b) return null;
          const x1 = a.x + W;
          const y1 = a.y + H / 2;
          const x2 = b.x;
          const y2 = b.y + H / 2;
          const back = x2 <= x1;
          const path = back
            ? `M${a.x + W / 2},${a.y + H} C${a.x + W / 2},${a.y + H + 30} ${b.x + W / 2},${b.y + H + 30} ${b.x + W / 2},${b.y + H}`
            : `M${x1},${y1} C${x1 + GAP_X / 2},${y1} ${x2 - GAP_X / 2},${y2} ${x2},${y2}`;
          const lx = back ? (a.x + b.x + W) / 2 : (x1 + x2) / 2;
          const ly = back ? Math.max(a.y, b.y) + H + 22 : (y1 + y2) / 2 - 4;
          return (
            <g key={i} className={`edge edge-${t.when}`}>
              <path d={path} markerEnd="url(#arrow)" />
              <text x={lx} y={ly} textAnchor="middle">
                {t.when}
              </text>
            </g>
          );
        })}
        {placed.map((p) => {
          const { x, y } = at.get(p.name)!;
          const classes = [
            'node',
            p.compensating ? 'node-compensating' : '',
            p.final ? 'node-final' : '',
            visited.has(p.name) ? 'node-visited' : '',
            p.name === current ? 'node-current' : '',
          ];
          return (
            <g
              key={p.name}
              className={classes.join(' ')}
              data-state={p.name}
              aria-current={p.name === current ? 'step' : undefined}
            >
              <rect x={x} y={y} width={W} height={H} rx={p.final ? 20 : 6} />
              <text x={x + W / 2} y={y + H / 2 + 5} textAnchor="middle">
                {p.name}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
