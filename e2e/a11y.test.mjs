// Accessibility (issues 11 and 19): axe-core with the WCAG 2.1 A/AA rules on every screen — the
// series list, a series (new, and with its board, shot editor and locale matrix), the bible and
// series settings drawers, a card's and the series' menus, the export menu, the plan, settings,
// the inspector, the mask painter and the shortcut sheet — expects 0 violations. And the guided flow walked with the keyboard only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, launchBrowser, createSeries, openBible, closeBible, openSeriesSettings, closeSeriesSettings } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '20']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs axe on the page as it is; returns the violations in words. */
async function violations(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(' | ')}`);
}

async function expectClean(page, screen) {
  // Judge the page as it settles, not mid-fade: a card's toolbar fades out (.12 s) when the
  // pointer or the focus leaves it, and half-faded text is no one's contrast.
  await page.waitForFunction(() => document.getAnimations()
    .filter((a) => a instanceof CSSTransition).every((a) => a.playState !== 'running'));
  const found = await violations(page);
  assert.deepEqual(found, [], `${screen}: ${found.join('\n')}`);
}

test('every screen has 0 axe violations (WCAG 2.1 A/AA), light and dark', async () => {
  for (const colorScheme of ['light', 'dark']) {
    // The axe script is injected by the test itself, so this context skips the page's CSP.
    const context = await browser.newContext({ bypassCSP: true, colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    await expectClean(page, `${colorScheme}: series list (empty)`);
    await createSeries(page, { template: 'comic', name: 'Accessible' });
    await expectClean(page, `${colorScheme}: a new series (the guide at step 1)`);
    await openSeriesSettings(page);
    await page.getByTestId('series-locales').pressSequentially('en, zh-Hans, ar', { delay: 2 });
    await expectClean(page, `${colorScheme}: series settings drawer`);
    await closeSeriesSettings(page);
    const card = page.getByTestId('frame-card').first();
    await card.getByTestId('generate-frame').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=frame-card]').dataset.status === 'done', null, { timeout: 30000 });
    await openBible(page);
    await page.getByTestId('add-character').click();
    await expectClean(page, `${colorScheme}: bible drawer`);
    await closeBible(page);
    await card.locator('summary', { hasText: 'Shot, text and entities' }).click();
    await card.getByTestId('add-text').click();
    await page.getByRole('table', { name: /Locales/ }).waitFor();
    await card.hover();
    await expectClean(page, `${colorScheme}: series (board, shot editor, locale matrix)`);
    await card.getByRole('button', { name: 'More actions', exact: true }).click();
    await card.getByRole('menu', { name: 'More actions' }).waitFor();
    await expectClean(page, `${colorScheme}: a card's More actions menu`);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'More series actions' }).click();
    await page.getByRole('menu', { name: 'More series actions' }).waitFor();
    await expectClean(page, `${colorScheme}: the series' More menu`);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menu', { name: 'Export as' }).waitFor();
    await expectClean(page, `${colorScheme}: export menu`);
    await page.keyboard.press('Escape');

    await page.getByTestId('generate-all').click();
    await page.getByTestId('plan-summary').waitFor();
    await expectClean(page, `${colorScheme}: plan`);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByTestId('settings').waitFor();
    await expectClean(page, `${colorScheme}: settings`);
    await page.getByTestId('close-settings').click();

    await card.getByTestId('open-inspector').click();
    await page.getByTestId('inspector').waitFor();
    await page.getByTestId('version-node').first().waitFor();
    await expectClean(page, `${colorScheme}: inspector`);
    await page.getByTestId('inspector').getByRole('button', { name: 'Paint mask' }).click();
    await page.getByTestId('mask-canvas').waitFor();
    await expectClean(page, `${colorScheme}: mask painter`);
    await page.keyboard.press('Escape');

    await page.getByTestId('series-title').click();
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts').waitFor();
    await expectClean(page, `${colorScheme}: shortcut sheet`);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: '← All series' }).click();
    await page.getByTestId('project-list').waitFor();
    await expectClean(page, `${colorScheme}: series list`);
    await context.close();
  }
});
