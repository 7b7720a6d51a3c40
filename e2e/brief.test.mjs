// "New from a brief" (issue 22): a brief typed key by key (and a Chinese sentence through an
// IME) is planned by the text model into frames the user reviews, edits and drops before the
// series is made; the series then generates through the usual plan. A model answer that breaks
// the schema is refused with a message and nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, newPage, journal, clearJournal, planWithoutAnchor, waitForStatus, createSeries,
  openBible, makePng, compose } from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '30']);

const ENGLISH = [
  'A fox wakes at dawn.',
  'It crosses the frozen river.',
  'The fox meets an old owl.',
  'They share a quiet meal.',
  'Snow begins to fall.',
  'The fox walks home alone.',
];
const CHINESE = '狐狸看见了春天。';

/** Opens "New from a brief" and types the brief: two English sentences, the Chinese one, the rest. */
async function typeBrief(page) {
  await page.getByRole('button', { name: 'New from a brief' }).click();
  const brief = page.getByLabel('Brief', { exact: true });
  await brief.click();
  await brief.pressSequentially(ENGLISH.slice(0, 2).join(' ') + ' ', { delay: 5 });
  await compose(page, ['hu', 'huli', '狐狸'], '狐狸');
  await compose(page, ['kanjian', '看见'], '看见');
  await brief.pressSequentially('了', { delay: 5 });
  await compose(page, ['chuntian', '春天'], '春天');
  await brief.pressSequentially('。 ' + ENGLISH.slice(2).join(' '), { delay: 5 });
  assert.equal(await brief.inputValue(), [...ENGLISH.slice(0, 2), CHINESE, ...ENGLISH.slice(2)].join(' '));
  return brief;
}

const titles = (page) => page.getByTestId('brief-frame-title').evaluateAll((els) => els.map((e) => e.value));

test('a brief in English and Chinese plans 6 frames, edited, dropped, then generated through the usual plan', async () => {
  const { page, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await page.getByTestId('no-projects').waitFor();
  await typeBrief(page);
  assert.equal(await page.getByTestId('brief-frames').inputValue(), '6');

  // "What will be sent" shows the planner request: a strict json_schema, the brief, no key.
  await page.getByTestId('brief-sent').locator('summary').click();
  const sent = JSON.parse(await page.getByTestId('brief-sent-json').textContent());
  assert.equal(sent.text.format.type, 'json_schema');
  assert.equal(sent.text.format.strict, true);
  assert.ok(!/Bearer|sk-/.test(JSON.stringify(sent)));

  await clearJournal(shared.server.url);
  await page.getByRole('button', { name: 'Plan frames' }).click();
  await page.getByTestId('brief-frame').nth(5).waitFor();
  assert.equal(await page.getByTestId('brief-frame').count(), 6);
  // One frame per sentence, up to the asked count (the fake's planner), the titles its answer's.
  const expected = [ENGLISH[0], ENGLISH[1], CHINESE, ENGLISH[2], ENGLISH[3], ENGLISH[4]].map((s) => s.replace(/[.。]$/, ''));
  assert.deepEqual(await titles(page), expected);
  const calls = await journal(shared.server.url);
  assert.equal(calls.length, 1, 'one planner call, nothing image-related');
  assert.equal(calls[0].endpoint, 'responses');
  assert.equal(calls[0].params.text.format.type, 'json_schema');
  assert.equal(calls[0].params.text.format.strict, true);
  assert.equal(calls[0].params.text.format.schema.additionalProperties, false);
  assert.match(await page.getByTestId('brief-cost').textContent(), /This plan cost <?\$\d/);
  assert.equal(await page.getByRole('button', { name: 'Plan again' }).count(), 1);

  // Edit a row (key by key), drop a row.
  const firstTitle = page.getByTestId('brief-frame-title').nth(0);
  await firstTitle.click();
  await firstTitle.press('End');
  await firstTitle.pressSequentially(' in the woods', { delay: 5 });
  await page.getByTestId('brief-frame').nth(3).getByTestId('brief-frame-drop').click();
  assert.deepEqual(await titles(page), [expected[0] + ' in the woods', expected[1], expected[2], expected[4], expected[5]]);

  await clearJournal(shared.server.url);
  await page.getByTestId('brief-name').pressSequentially('Fox', { delay: 5 });
  await page.getByRole('button', { name: 'Create series' }).last().click();
  await page.getByTestId('series-title').filter({ hasText: 'Fox' }).waitFor();
  const cards = page.getByTestId('frame-card');
  assert.equal(await cards.count(), 5);
  assert.deepEqual(await journal(shared.server.url), [], 'nothing is sent before the usual plan');

  // The usual plan generates it.
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', 5);
  const images = await journal(shared.server.url);
  assert.equal(images.length, 5);
  assert.ok(images.every((r) => r.endpoint === 'generations'));
  assert.ok(images.some((r) => r.params.prompt.includes('狐狸看见了春天')), 'the Chinese frame is in a prompt');
  assert.deepEqual(errors, []);
});

test('a schema-breaking answer is refused with a message and nothing changes', async () => {
  const { page, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await page.getByTestId('project-list').or(page.getByTestId('no-projects')).first().waitFor();
  const before = await page.getByTestId('project-list').locator('li').count();
  const brief = await typeBrief(page);
  await page.getByRole('button', { name: 'Plan frames' }).click();
  await page.getByTestId('brief-frame').nth(5).waitFor();
  const planned = await titles(page);

  await brief.click();
  await brief.press('End');
  await brief.pressSequentially(' [[fault:schema_break]]', { delay: 5 });
  await clearJournal(shared.server.url);
  await page.getByRole('button', { name: 'Plan again' }).click();
  const error = page.getByTestId('brief-error');
  await error.waitFor();
  assert.match(await error.textContent(), /refused/);
  const calls = await journal(shared.server.url);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].fault, 'schema_break');
  assert.deepEqual(await titles(page), planned, 'the preview is unchanged');
  assert.equal(await page.getByTestId('project-list').locator('li').count(), before, 'no series was made');
  assert.deepEqual(errors, []);
});

test('"Describe from images" on two reference images fills the palette with their colours after accepting', async () => {
  const { page, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await page.getByTestId('project-list').or(page.getByTestId('no-projects')).first().waitFor();
  await createSeries(page, { template: 'comic', name: 'Described' });
  await openBible(page);
  await page.getByTestId('add-character').click();
  const entity = page.getByTestId('entity');
  // A new character is named "Character 1"; the user selects that and types the name.
  const name = entity.getByTestId('entity-name');
  await name.click();
  await name.press('ControlOrMeta+a');
  await name.pressSequentially('Mira', { delay: 5 });
  await entity.getByTestId('reference-input').setInputFiles([
    { name: 'red.png', mimeType: 'image/png', buffer: await makePng(256, 256, [200, 40, 40]) },
    { name: 'blue.png', mimeType: 'image/png', buffer: await makePng(256, 256, [40, 120, 200]) },
  ]);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=reference]').length === 2);
  const swatches = () => page.getByTestId('swatch').evaluateAll((els) => els.map((e) => e.title.toLowerCase()));
  assert.deepEqual(await swatches(), []);

  await clearJournal(shared.server.url);
  await page.getByRole('button', { name: 'Describe from images' }).click();
  await page.getByTestId('proposal').first().waitFor();
  const calls = await journal(shared.server.url);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].endpoint, 'responses');
  assert.equal(calls[0].images.length, 2, 'both reference images are sent');
  assert.equal(calls[0].params.text.format.strict, true);
  assert.deepEqual(await swatches(), [], 'nothing changes before a proposal is accepted');

  // Field by field: the palette accepted, the description rejected.
  await page.getByRole('button', { name: 'Accept Palette' }).click();
  await page.getByRole('button', { name: 'Reject Mira description' }).click();
  // Each image's dominant colours: its ground and its stripes (makePng draws a 25 % stripe of the
  // inverse colour), in image order.
  assert.deepEqual(await swatches(), ['#c82828', '#37d7d7', '#2878c8', '#d78737']);
  assert.equal(await entity.getByTestId('entity-description').inputValue(), '');
  assert.equal(await page.getByTestId('reference').count(), 2, 'the images stay attached');
  assert.match(await page.getByTestId('describe-cost').textContent(), /Describing cost <?\$\d/);
  assert.deepEqual(errors, []);
});
