import type { SystemService } from '@sagaflow/contracts';
import type { PlannedExits } from './fault.js';

/**
 * Exits that faults announce before they cause them; `take` tells whether an exit that the system did not
 * ask for was one of them.
 */
export class PlannedExitBook implements PlannedExits {
  private readonly waiting = new Map<SystemService, (() => void)[]>();

  exitOf(service: SystemService, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const list = this.waiting.get(service) ?? [];
        this.waiting.set(
          service,
          list.filter((d) => d !== done),
        );
        reject(new Error(`${service} did not exit within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(service, [...(this.waiting.get(service) ?? []), done]);
    });
  }

  take(service: SystemService): boolean {
    const [next, ...rest] = this.waiting.get(service) ?? [];
    if (next === undefined) return false;
    this.waiting.set(service, rest);
    next();
    return true;
  }
}
