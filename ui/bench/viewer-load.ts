/**
 * How the viewer holds up while sagas change fast: places orders against the real system while the
 * saga list is open in Chromium, and reports frame rate, long tasks and the longest frame gap.
 * `npx tsx ui/bench/viewer-load.ts [orders] [concurrency]`; part of `make bench`, never of tests.
 */
import { Browser } from '../test/browser/support/browser.js';
import { startViewerSystem } from '../test/browser/support/viewer-system.js';

const ORDERS = Number(process.argv[2] ?? 600);
const CONCURRENCY = Number(process.argv[3] ?? 50);
/** An order saga changes four times: started, reserved, charged, notified and completed. */
const CHANGES_PER_SAGA = 4;

// Page scripts are given as text: the TS runner would wrap functions in helpers the page lacks.
const WATCH_FRAMES = `(() => {
  const w = window; w.longTasks = []; w.frames = 0; w.gaps = [];
  new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask' });
  let last = performance.now();
  const tick = (t) => { w.frames++; w.gaps.push(t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})()`;
const FRAME_REPORT = `(() => {
  const w = window; const gaps = w.gaps.slice(1).sort((a, b) => a - b);
  const at = (q) => Math.round(gaps[Math.floor(gaps.length * q)] ?? 0);
  return { frames: w.frames, longTasks: w.longTasks.length, longestTaskMs: Math.round(Math.max(0, ...w.longTasks)),
    frameGapP50Ms: at(0.5), frameGapP99Ms: at(0.99), frameGapMaxMs: Math.round(gaps.at(-1) ?? 0) };
})()`;

const system = await startViewerSystem({ prefix: 'ui-bench' });
const browser = await Browser.launch();
try {
  const page = await browser.page('laptop');
  await page.goto(`${system.url}/ui/`);
  await page.locator('.stream-live').waitFor();
  await page.evaluate(WATCH_FRAMES);
  const body = JSON.stringify({
    customerId: 'c-bench',
    customerEmail: 'bench@example.com',
    currency: 'EUR',
    items: [{ sku: 'STICKER-001', quantity: 1 }],
    payment: { method: 'card', token: 'tok_visa' },
  });
  const started = Date.now();
  let placed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (placed++ < ORDERS) {
        await fetch(`${system.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      }
    }),
  );
  await page.waitForFunction(
    `Number(document.querySelector('[data-testid="count-COMPLETED"]')?.textContent) >= ${ORDERS}`,
    undefined,
    { timeout: 300_000 },
  );
  const seconds = (Date.now() - started) / 1000;
  const frames = (await page.evaluate(FRAME_REPORT)) as { frames: number };
  console.table({
    orders: ORDERS,
    seconds: Number(seconds.toFixed(1)),
    sagaChangesPerSecond: Math.round((ORDERS * CHANGES_PER_SAGA) / seconds),
    framesPerSecond: Math.round(frames.frames / seconds),
    ...frames,
  });
} finally {
  await browser.close();
  await system.cleanup();
}
