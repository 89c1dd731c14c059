import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '@sagaflow/contracts/testing';

export const CHROMIUM = CHROMIUM_PATH;
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-artifacts');

export const VIEWPORTS = {
  laptop: { width: 1366, height: 768 },
  phone: { width: 390, height: 844 },
} as const;

/** Debian's Chromium, headless, with a profile of its own that is removed on close. */
export class Browser {
  private constructor(
    private readonly context: BrowserContext,
    private readonly profile: string,
    /** Every console error and page error seen, for the "no console errors" check. */
    readonly errors: string[],
  ) {}

  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'sagaflow-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: VIEWPORTS.laptop,
      args: [...CHROMIUM_FLAGS, '--disable-extensions'],
    });
    const browser = new Browser(context, profile, []);
    mkdirSync(ARTIFACTS, { recursive: true });
    return browser;
  }

  async page(viewport: keyof typeof VIEWPORTS = 'laptop'): Promise<Page> {
    const page = await this.context.newPage();
    await page.setViewportSize(VIEWPORTS[viewport]);
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.errors.push(`${page.url()}: ${e.message}`));
    return page;
  }

  async screenshot(page: Page, name: string): Promise<string> {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profile, { recursive: true, force: true });
  }
}
