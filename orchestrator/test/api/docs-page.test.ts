import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Orchestrator } from '../../src/orchestrator.js';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '@sagaflow/contracts/testing';
import { TestStack } from '../support/test-stack.js';
import { OPERATIONS } from '../../src/api/openapi.js';

const CHROMIUM = CHROMIUM_PATH;

describe('HTTP API: the /docs page in a browser', function () {
  this.timeout(60_000);
  let stack: TestStack;
  let orchestrator: Orchestrator;
  let profile: string;
  let browser: BrowserContext;

  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip(); // CHROMIUM_PATH names the browser where it lives elsewhere
    stack = await TestStack.create();
    orchestrator = await stack.orchestrator({ apiToken: 'sesame' });
    profile = await mkdtemp(join(tmpdir(), 'sagaflow-docs-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
  });

  after(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await stack?.cleanup();
  });

  it('renders every operation under the security policy, loading nothing from elsewhere, without console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(orchestrator.url) && !request.url().startsWith('data:'))
        foreign.push(request.url());
    });
    await page.goto(`${orchestrator.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
    const operations = Object.values(OPERATIONS).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(await page.locator('.opblock').count()).to.equal(operations);
    expect(await page.locator('.info .title').innerText()).to.match(/Sagaflow orchestrator/);
    expect(await page.locator('button.authorize').count()).to.equal(1);
    await page.screenshot({ path: process.env.DOCS_SCREENSHOT ?? join(profile, 'docs.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
    expect(foreign).to.deep.equal([]);
  });
});
