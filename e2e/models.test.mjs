// The model line (issue 21): the Model select offers no model past its shutdown date, and a
// model that ends within 30 days is offered with its date and a warning beside the select.
// The browser's clock is set, so the test reads the same on any day it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, newPage, createSeries } from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '20']);

/** The Model select's options (value and text) in the Series settings drawer. */
async function modelOptions(page) {
  await page.getByRole('button', { name: 'Series settings' }).click();
  const select = page.getByRole('combobox', { name: 'Model', exact: true });
  await select.waitFor();
  return select.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
}

test('ended models are not offered; one ending soon is offered with its date and a warning', async () => {
  // After gpt-image-1.5 and gpt-image-1-mini ended (2026-12-01).
  let { page, context, errors } = await newPage(shared.browser);
  await page.clock.setFixedTime(new Date('2026-12-07T12:00:00Z'));
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'carousel', name: 'Line' });
  let options = await modelOptions(page);
  const ids = options.map(([id]) => id);
  assert.ok(ids.includes('gpt-image-2'), JSON.stringify(options));
  for (const gone of ['gpt-image-1.5', 'gpt-image-1-mini', 'gpt-image-1']) {
    assert.ok(!ids.includes(gone), `${gone} offered: ${JSON.stringify(options)}`);
  }
  assert.equal(await page.getByTestId('model-lifecycle').count(), 0, 'gpt-image-2 has no end date');
  assert.deepEqual(errors, []);
  await context.close();

  // Three weeks before: offered with the date; choosing it shows the warning (role=status).
  ({ page, context, errors } = await newPage(shared.browser));
  await page.clock.setFixedTime(new Date('2026-11-10T12:00:00Z'));
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'carousel', name: 'Line' });
  options = await modelOptions(page);
  const ending = options.find(([id]) => id === 'gpt-image-1.5');
  assert.ok(ending, JSON.stringify(options));
  assert.match(ending[1], /\(ends 2026-12-01\)$/);
  await page.getByRole('combobox', { name: 'Model', exact: true }).selectOption('gpt-image-1.5');
  const warning = page.getByTestId('model-lifecycle');
  await warning.waitFor();
  assert.equal(await warning.getAttribute('role'), 'status');
  assert.match(await warning.textContent(), /ends in 21 days \(2026-12-01\).*GPT Image 2 replaces it/);
  assert.deepEqual(errors, []);
  await context.close();
});
