import type { TimelineEntry } from '@sagaflow/contracts';
import { formatDuration } from '../../app/format';
import { axisTicks, layoutTimeline, type Mark } from './timeline-layout';

const pct = (offset: number, span: number) => `${Math.min(100, Math.max(0, (offset / span) * 100))}%`;

const SYMBOL: Record<Mark['kind'], string> = {
  started: '●',
  sent: '▶',
  resent: '↻',
  reply: '✓',
  'reply-failure': '✕',
  timeout: '◔',
  compensation: '↶',
  stalled: '‖',
  resumed: '▷',
  ops: '✎',
  completed: '◆',
  cancelled: '◇',
};

/** Crowded marks are drawn side by side (see `nudge`). */
const markLeft = (mark: Mark, span: number): string =>
  mark.nudge ? `calc(${pct(mark.offset, span)} + ${mark.nudge * 1.3}rem)` : pct(mark.offset, span);

function MarkIcon({ mark, span }: { mark: Mark; span: number }) {
  const text = `+${formatDuration(mark.offset)} · ${mark.label}`;
  return (
    <span
      className={`mark mark-${mark.kind}`}
      style={{ left: markLeft(mark, span) }}
      title={text}
      role="img"
      aria-label={text}
    >
      {SYMBOL[mark.kind]}
    </span>
  );
}

/** The saga's steps as lanes on one time axis drawn to scale; every entry is a mark with its meaning. */
export function Timeline({
  timeline,
  running,
  compensatingSteps,
  now,
}: {
  timeline: TimelineEntry[];
  running: boolean;
  compensatingSteps: ReadonlySet<string>;
  now: number;
}) {
  const layout = layoutTimeline(timeline, { until: running ? now : undefined, compensatingSteps });
  const { span } = layout;
  return (
    <div className="timeline" aria-label="Timeline, drawn to scale">
      <div className="lane lane-saga">
        <div className="lane-label">
          <strong>saga</strong>
          <span className="muted">{formatDuration(span)} in all</span>
        </div>
        <div className="track">
          {axisTicks(span).map((t) => (
            <span key={t} className="tick" style={{ left: pct(t, span) }}>
              {formatDuration(t)}
            </span>
          ))}
          {layout.saga.map((m) => (
            <MarkIcon key={m.seq} mark={m} span={span} />
          ))}
        </div>
      </div>
      {layout.lanes.map((lane) => {
        const end = lane.repliedAt ?? (running ? span : (lane.marks.at(-1)?.offset ?? span));
        const from = lane.sentAt ?? 0;
        const state = lane.outcome ?? (running ? 'pending' : 'open');
        return (
          <div
            key={lane.step}
            className={`lane ${lane.compensating ? 'lane-compensating' : ''}`}
            data-step={lane.step}
            data-routing-key={lane.routingKey ?? ''}
          >
            <div className="lane-label">
              <strong>{lane.step}</strong>
              <span className="mono routing-key">{lane.routingKey ?? '—'}</span>
              {lane.compensating && <span className="tag tag-compensation">compensation</span>}
            </div>
            <div className="track">
              <span
                className={`bar bar-${state}`}
                style={{ left: pct(from, span), width: `max(3px, ${pct(end - from, span)})` }}
                title={`${lane.routingKey ?? lane.step}: ${formatDuration(end - from)}${lane.outcome ? ` → ${lane.outcome}` : ''}`}
              />
              <span
                className="bar-label"
                style={from / span > 0.6 ? { right: `calc(100% - ${pct(end, span)})` } : { left: pct(from, span) }}
              >
                {formatDuration(end - from)}
                {lane.outcome ? ` · ${lane.outcome}` : running ? ' · waiting' : ''}
              </span>
              {lane.marks.map((m) => (
                <MarkIcon key={m.seq} mark={m} span={span} />
              ))}
            </div>
          </div>
        );
      })}
      <ul className="legend" aria-label="Legend">
        {(['sent', 'reply', 'reply-failure', 'resent', 'timeout', 'stalled', 'compensation', 'ops'] as const).map(
          (k) => (
            <li key={k}>
              <span className={`mark static mark-${k}`}>{SYMBOL[k]}</span> {k.replace('-', ' ')}
            </li>
          ),
        )}
      </ul>
    </div>
  );
}
