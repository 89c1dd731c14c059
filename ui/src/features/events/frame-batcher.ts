/**
 * Collects items and hands them over in one batch per animation frame (or per `flushMs` where no
 * frames are drawn, such as a hidden tab), so that hundreds of saga changes a second cost one store
 * update a frame, not one each.
 */
export class FrameBatcher<T> {
  private pending: T[] = [];
  private scheduled = false;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly flush: (batch: T[]) => void,
    private readonly schedule: (run: () => void) => () => void = scheduleFrame,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.cancel = this.schedule(() => this.run());
  }

  /** Hands over what is pending now. */
  run(): void {
    this.cancel?.();
    this.cancel = null;
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flush(batch);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
    this.scheduled = false;
    this.pending = [];
  }
}

/** requestAnimationFrame, with a timer as well: a hidden tab gets no frames but must not pile up events. */
export function scheduleFrame(run: () => void, flushMs = 250): () => void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    run();
  };
  const frame = typeof requestAnimationFrame === 'function' ? requestAnimationFrame(once) : null;
  const timer = setTimeout(once, flushMs);
  return () => {
    done = true;
    if (frame !== null) cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}
