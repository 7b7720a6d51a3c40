// Per-model options and markup edits (issue 21, item 4), against the fake through the server:
// "Mark changes" on a gpt-image-2.6 series draws a circle and an arrow by dragging and a note
// typed key by key, and the edit carries them as `markup` (a PNG the image's size, no mask);
// "Transparent background" sends `background: transparent` with PNG and is refused, with the
// reason and nothing sent, on a model that cannot make one; the Quality select offers xhigh
// only where the model lists it, and a model switch drops what the new model does not take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, createSeries, journal, clearJournal, editInInspector as edit,
  openSeriesSettings, closeSeriesSettings,
} from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '20']);

const inspector = (page) => page.getByTestId('inspector');
const modelSelect = (page) => page.getByRole('combobox', { name: 'Model', exact: true });
const qualityOptions = (page) => page.getByRole('combobox', { name: 'Quality', exact: true })
  .locator('option').evaluateAll((os) => os.map((o) => o.value));

/** Chooses `model` in the series settings (opening the drawer if needed). */
async function chooseModel(page, model) {
  await openSeriesSettings(page);
  await modelSelect(page).selectOption(model);
  await page.waitForFunction((m) => document.querySelector('#series-model')?.value === m, model);
}

/** Generates frame `n` alone and waits until it is done. */
async function generateFrame(page, n, prompt) {
  const card = page.getByTestId('frame-card').nth(n);
  await card.getByTestId('frame-prompt').pressSequentially(prompt, { delay: 2 });
  await card.getByTestId('generate-frame').click();
  await page.waitForFunction((i) => document.querySelectorAll('[data-testid=frame-card]')[i]?.dataset.status === 'done',
    n, { timeout: 30000 });
}

/** Drags across the markup canvas from (x0, y0) to (x1, y1), given as fractions of its box. */
async function drag(page, [x0, y0], [x1, y1]) {
  const box = await inspector(page).getByTestId('markup-canvas').boundingBox();
  await page.mouse.move(box.x + box.width * x0, box.y + box.height * y0);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * (x0 + x1) / 2, box.y + box.height * (y0 + y1) / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width * x1, box.y + box.height * y1, { steps: 4 });
  await page.mouse.up();
}

test('Mark changes: a circle, an arrow and a typed note go as markup of the image size, never with a mask', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'product_set', name: 'Mugs' });
  await chooseModel(page, 'gpt-image-2.6-flare');
  await closeSeriesSettings(page);
  await generateFrame(page, 0, 'A white ceramic mug on a table');

  await page.getByTestId('frame-card').nth(0).getByTestId('open-inspector').click();
  await inspector(page).waitFor();
  const nodes = inspector(page).getByTestId('version-node');
  await nodes.first().waitFor();
  const mark = inspector(page).getByRole('button', { name: 'Mark changes' });
  assert.equal(await mark.isEnabled(), true, 'gpt-image-2.6 takes markup');
  await mark.click();
  await inspector(page).getByTestId('markup-canvas').waitFor();
  await inspector(page).getByRole('button', { name: 'Circle', exact: true }).click();
  await drag(page, [0.3, 0.3], [0.6, 0.65]);
  await inspector(page).getByRole('button', { name: 'Arrow', exact: true }).click();
  await drag(page, [0.85, 0.1], [0.62, 0.35]);
  await inspector(page).getByRole('button', { name: 'Text note', exact: true }).click();
  await inspector(page).getByTestId('markup-note').pressSequentially('make it blue', { delay: 5 });
  const box = await inspector(page).getByTestId('markup-canvas').boundingBox();
  await page.mouse.click(box.x + box.width * 0.1, box.y + box.height * 0.8);
  // The marks are on the layer (some pixels are not transparent any more).
  const inked = await inspector(page).getByTestId('markup-canvas').evaluate((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n += 1;
    return n;
  });
  assert.ok(inked > 1000, `marks drawn: ${inked} pixels`);
  assert.match(await inspector(page).getByTestId('edit-overlay-note').textContent(), /sent as markup/);
  // The prompt says what the marks are.
  await inspector(page).getByText('What will be sent').click();
  assert.match(await inspector(page).getByTestId('edit-sent-prompt').textContent(), /markup drawn over image 1/);

  await clearJournal(shared.server.url);
  await edit(page, 'Change only what is marked');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=inspector] [data-testid=version-node]').length === 2,
    null, { timeout: 30000 });
  const sent = await journal(shared.server.url);
  assert.equal(sent.length, 1, JSON.stringify(sent.map((s) => s.endpoint)));
  assert.equal(sent[0].endpoint, 'edits');
  assert.equal(sent[0].status, 200);
  assert.equal(sent[0].params.model, 'gpt-image-2.6-flare');
  assert.equal(sent[0].mask, null, 'never a mask with markup');
  assert.ok(sent[0].markup, 'the markup was sent');
  assert.equal(sent[0].markup.content_type, 'image/png');
  assert.deepEqual([sent[0].markup.width, sent[0].markup.height], [sent[0].images[0].width, sent[0].images[0].height],
    'the layer is the image size, not the screen size');
  assert.deepEqual([sent[0].markup.width, sent[0].markup.height], [1024, 1024]);
  // The new version is measured away from its marks.
  await inspector(page).getByTestId('leak-figure').filter({ hasText: 'away from the marks' }).waitFor({ timeout: 30000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('Mark changes is disabled, with the reason, on a model without markup edits', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'product_set', name: 'Plain' });
  await generateFrame(page, 0, 'A red bicycle');
  await page.getByTestId('frame-card').nth(0).getByTestId('open-inspector').click();
  const mark = inspector(page).getByRole('button', { name: 'Mark changes' });
  await mark.waitFor();
  assert.equal(await mark.isDisabled(), true);
  assert.match(await inspector(page).getByTestId('markup-unavailable').textContent(), /GPT Image 2 has no markup edits/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('Transparent background sends background: transparent with PNG, and is refused where the model cannot', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'character_sheet', name: 'Sheet' });
  await openSeriesSettings(page);
  // JPEG has no alpha: ticking the option switches the format to PNG and says so.
  await page.getByRole('combobox', { name: 'Format', exact: true }).selectOption('jpeg');
  const transparent = page.getByRole('checkbox', { name: 'Transparent background' });
  await transparent.check();
  await page.getByTestId('output-notice').filter({ hasText: 'JPEG has no transparency' }).waitFor();
  assert.equal(await page.locator('#series-format').inputValue(), 'png');
  const formats = await page.locator('#series-format option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(formats, ['png', 'webp'], 'no JPEG with a transparent background');
  await closeSeriesSettings(page);

  await clearJournal(shared.server.url);
  await generateFrame(page, 0, 'A fox in a green coat, front view');
  let sent = await journal(shared.server.url);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].params.background, 'transparent');
  assert.equal(sent[0].params.output_format, 'png');

  // gpt-image-2.6 cannot: the option stays ticked (so it can be unticked) with the reason, and
  // the next request is refused before anything is sent.
  await chooseModel(page, 'gpt-image-2.6-flare');
  assert.match(await page.getByTestId('transparent-reason').textContent(), /GPT Image 2\.6 Flare cannot make transparent backgrounds/);
  assert.equal(await transparent.isChecked(), true);
  await closeSeriesSettings(page);
  await clearJournal(shared.server.url);
  const card = page.getByTestId('frame-card').nth(1);
  await card.getByTestId('frame-prompt').pressSequentially('The fox, profile', { delay: 2 });
  await card.getByTestId('generate-frame').click();
  await card.getByTestId('said').filter({ hasText: 'cannot make transparent backgrounds' }).waitFor();
  assert.match(await card.getByTestId('said').textContent(), /Untick “Transparent background” or choose another model/);
  assert.equal((await journal(shared.server.url)).length, 0, 'nothing was sent');

  // Unticked, the option is disabled on this model, and generating works.
  await openSeriesSettings(page);
  await transparent.uncheck();
  assert.equal(await transparent.isDisabled(), true);
  await closeSeriesSettings(page);
  await card.getByTestId('generate-frame').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]')[1]?.dataset.status === 'done', null, { timeout: 30000 });
  sent = await journal(shared.server.url);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].params.background, undefined);
  assert.deepEqual(errors, []);
  await context.close();
});

test('Quality offers xhigh only where the model lists it; complexity only on 2.6; a switch drops what the model lacks', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'product_set', name: 'Options' });
  await chooseModel(page, 'gpt-image-2');
  assert.ok(!(await qualityOptions(page)).includes('xhigh'));
  assert.equal(await page.getByRole('combobox', { name: 'Complexity' }).count(), 0);
  await chooseModel(page, 'gpt-image-2.5-flare');
  const q25 = await qualityOptions(page);
  assert.ok(q25.includes('xhigh') && q25.includes('max'), JSON.stringify(q25));
  await page.getByRole('combobox', { name: 'Quality', exact: true }).selectOption('xhigh');
  await chooseModel(page, 'gpt-image-2.6-flare');
  assert.ok(!(await qualityOptions(page)).includes('xhigh'), '2.6 lists no xhigh');
  await page.getByTestId('output-notice').filter({ hasText: 'Quality “xhigh” is not available on GPT Image 2.6 Flare' }).waitFor();
  assert.equal(await page.locator('#series-quality').inputValue(), 'high');
  const complexity = page.getByRole('combobox', { name: 'Complexity' });
  await complexity.selectOption('high');
  await closeSeriesSettings(page);
  await clearJournal(shared.server.url);
  await generateFrame(page, 0, 'A teapot');
  const sent = await journal(shared.server.url);
  assert.equal(sent[0].params.complexity, 'high');
  assert.equal(sent[0].params.quality, 'high');
  // Back to gpt-image-2: the complexity is dropped with a notice.
  await chooseModel(page, 'gpt-image-2');
  await page.getByTestId('output-notice').filter({ hasText: 'no complexity setting' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("the endpoint's model dates win over the catalogue's; no answer leaves the catalogue's", async () => {
  // An endpoint that reports an earlier end for gpt-image-2.5-flare than the catalogue (none).
  // The fake reports the reference's dates, so its answer is rewritten here as another
  // endpoint's would differ; everything else goes to the fake.
  let { page, context, errors } = await newPage(shared.browser);
  await page.clock.setFixedTime(new Date('2026-12-07T12:00:00Z'));
  let asked = 0;
  await page.route('**/v1/models', async (route) => {
    asked += 1;
    const answer = await (await route.fetch()).json();
    for (const m of answer.data) if (m.id === 'gpt-image-2.5-flare') m.shutdown_date = '2026-12-05';
    for (const m of answer.data) if (m.id === 'gpt-image-2.5-sunburst') m.shutdown_date = '2026-12-20';
    await route.fulfill({ json: answer });
  });
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'product_set', name: 'Dates' });
  await openSeriesSettings(page);
  await page.waitForFunction(() => ![...document.querySelectorAll('#series-model option')].some((o) => o.value === 'gpt-image-2.5-flare'),
    null, { timeout: 15000 });
  const options = await page.locator('#series-model option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.ok(asked >= 1, 'the endpoint was asked');
  const sunburst = options.find(([id]) => id === 'gpt-image-2.5-sunburst');
  assert.match(sunburst[1], /\(ends 2026-12-20\)$/, JSON.stringify(options));
  assert.deepEqual(errors, []);
  await context.close();

  // An endpoint without a model list: the catalogue's models, silently.
  ({ page, context, errors } = await newPage(shared.browser));
  await page.clock.setFixedTime(new Date('2026-12-07T12:00:00Z'));
  await page.route('**/v1/models', (route) => route.fulfill({ status: 404, json: { error: { message: 'not found' } } }));
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'product_set', name: 'No list' });
  await openSeriesSettings(page);
  const ids = await page.locator('#series-model option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(ids.includes('gpt-image-2.5-flare') && ids.includes('gpt-image-2'), JSON.stringify(ids));
  assert.equal(await page.getByTestId('notice').count(), 0, 'no message about it');
  assert.deepEqual(errors, []);
  await context.close();
});
