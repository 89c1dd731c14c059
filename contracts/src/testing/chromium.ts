/** Debian's Chromium, which the browser tests drive through playwright-core (`CHROMIUM_PATH` elsewhere). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, as root, and quiet on a closed network: without the background-networking flags Chromium
 * keeps opening connections the machine refuses. Pass a fresh profile with `launchPersistentContext`.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
