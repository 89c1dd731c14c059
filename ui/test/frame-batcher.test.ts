import { expect } from 'chai';
import { FrameBatcher } from '../src/features/events/frame-batcher.js';

describe('FrameBatcher', () => {
  it('hands over everything added before a frame in one batch, and schedules one frame per batch', () => {
    const frames: (() => void)[] = [];
    const batches: number[][] = [];
    const batcher = new FrameBatcher<number>(
      (batch) => batches.push(batch),
      (run) => (frames.push(run), () => undefined),
    );
    for (let i = 0; i < 300; i++) batcher.add(i);
    expect(frames).to.have.length(1);
    frames[0]!();
    batcher.add(300);
    frames[1]!();
    expect(batches.map((b) => b.length)).to.deep.equal([300, 1]);
  });

  it('drops what is pending when stopped', () => {
    const batches: number[][] = [];
    let frame: (() => void) | null = null;
    const batcher = new FrameBatcher<number>(
      (b) => batches.push(b),
      (run) => ((frame = run), () => (frame = null)),
    );
    batcher.add(1);
    batcher.stop();
    expect(frame).to.equal(null);
    expect(batches).to.deep.equal([]);
  });
});
