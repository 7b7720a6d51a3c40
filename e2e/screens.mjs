// Screenshots of the main screens at 1440, 1024 and 390 px wide, for docs/ and the README.
// Not a test: run it after a release build to refresh them:
//   cd e2e && SERVER_BIN=../target/server/continuity-server DIST_DIR=../dist node screens.mjs
// It drives the real app against the built-in fake, as a user would.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, createSeries, waitForFramesSettled, openBible, closeBible, generateAndApproveAnchor } from './harness.mjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screens');
const WIDTHS = [[1440, 900], [1024, 768], [390, 844]];

const server = await startServer(['--fake-latency-ms', '10']);
const browser = await launchBrowser();
await mkdir(OUT, { recursive: true });
try {
  for (const [width, height] of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height }, colorScheme: 'light' });
    const page = await context.newPage();
    const shot = (name, fullPage = false) => page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage });
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    await createSeries(page, { template: 'carousel', name: 'Spring launch' });
    await openBible(page);
    await page.getByTestId('series-style').pressSequentially('Flat vector illustration, teal and coral, soft paper grain', { delay: 0 });
    await page.getByTestId('bible-palette').pressSequentially('#0F766E teal, #F97360 coral', { delay: 0 });
    await page.getByTestId('add-character').click();
    await page.waitForTimeout(300);
    await shot('bible');
    await closeBible(page);
    const prompts = page.getByTestId('frame-prompt');
    await prompts.nth(0).pressSequentially('A fox courier in a yellow raincoat waves from a tram stop', { delay: 0 });
    await prompts.nth(1).pressSequentially('The fox hands a parcel to a smiling baker', { delay: 0 });
    await generateAndApproveAnchor(page);
    await page.getByTestId('generate-all').click();
    await page.getByTestId('plan-summary').waitFor();
    await shot('plan');
    await page.getByTestId('start-plan').click();
    await waitForFramesSettled(page, 9);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('series');
    // The grid further down, a card hovered (its toolbar shows): cards off screen are not
    // painted until scrolled to (content-visibility), so capture the grid where a user sees it.
    const second = page.getByTestId('frame-card').nth(width < 600 ? 1 : 4);
    await second.scrollIntoViewIfNeeded();
    await second.hover();
    await page.waitForTimeout(800);
    await shot('grid');
    await page.getByTestId('open-inspector').first().click();
    await page.getByTestId('inspector').waitFor();
    await page.waitForTimeout(300);
    await shot('inspector');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByTestId('settings').waitFor();
    await shot('settings');
    await page.getByTestId('close-settings').click();
    await page.getByRole('button', { name: '← All series' }).click();
    await page.getByTestId('series-search').waitFor();
    await page.waitForTimeout(500);
    await shot('projects', true);
    await context.close();
    console.log(`screens at ${width} px written to ${OUT}`);
  }
} finally {
  await browser.close();
  await server.stop();
}
