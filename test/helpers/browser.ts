// Debian's Chromium, headless, driven with puppeteer-core (scripts/setup.sh
// --tests installs it). One browser per test, closed with it.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { onTestFinished } from 'vitest';

export const CHROMIUM = process.env.PHASED_CHROMIUM ?? '/usr/bin/chromium';

export async function openBrowser(): Promise<Browser> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/** A page that records console errors and failed page loads, for the test to assert none. */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors };
}

/**
 * Waits until the page's visible text contains every one of `texts`; returns
 * that text. (Page-side code is given as strings: this project compiles
 * without the DOM's types.)
 */
export async function waitForText(page: Page, texts: string[], timeoutMs = 30_000) {
  await page.waitForFunction(
    `${JSON.stringify(texts)}.every((t) => document.body.innerText.includes(t))`,
    { timeout: timeoutMs, polling: 200 },
  );
  return page.evaluate<[], () => string>('document.body.innerText');
}

/** The text of the table row that mentions `needle` ('' if none). */
export function rowText(page: Page, needle: string): Promise<string> {
  return page.evaluate<[], () => string>(
    `[...document.querySelectorAll('tr')].find((tr) => tr.textContent.includes(${JSON.stringify(needle)}))?.textContent ?? ''`,
  );
}
