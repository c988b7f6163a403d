/**
 * Headless Chromium for page tests (Debian's /usr/bin/chromium driven by playwright-core): `describeBrowser`
 * skips (with the reason in its title) when it or ../shared/data is absent; `launchChromium` starts it;
 * `openViewer` loads the map viewer and waits until it is ready; `saveScreenshot` writes test/.out/NAME for humans.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { it } from 'vitest';
import { describeShared, repoRoot } from './shared.ts';

export const CHROMIUM = '/usr/bin/chromium';

export const describeBrowser = existsSync(CHROMIUM)
  ? describeShared
  : (name: string, fn: () => void) => describeShared(`${name} [skipped: ${CHROMIUM} not found]`, () => it.skip('needs chromium', fn));

/** `webgl`: software WebGL (SwiftShader), which the map viewer's MapLibre needs. */
export function launchChromium(options: { webgl?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', ...(options.webgl ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : [])],
  });
}

/**
 * A 1100 × 800 page on the viewer at `url`, once `window.waterline` is ready; `errors` collects the page's
 * uncaught errors. `beforeLoad` runs before the page loads (to listen to its requests).
 */
export async function openViewer(browser: Browser, url: string, beforeLoad?: (page: Page) => void): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  beforeLoad?.(page);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => (window as any).waterline?.state.status === 'ready', null, { timeout: 30_000 });
  return { page, errors };
}

/** Half a second for the map to settle, then a screenshot at test/.out/`name`. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(repoRoot, 'test', '.out'), { recursive: true });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(repoRoot, 'test', '.out', name) });
}
