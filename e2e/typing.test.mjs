// Typing as a person types: key by key (`pressSequentially`), and through an input method
// (IME composition events sent by the DevTools protocol, as a Chinese keyboard does). A field
// the user is typing in is never rewritten from state while it has focus, so nothing typed is
// lost, split or reordered — in any script — and all of it survives a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, createSeries, journal, clearJournal, openBible, closeBible, compose } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '30']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The prompt the frame's next request will carry, from its "What will be sent" view. */
async function sentPrompt(card) {
  const details = card.getByTestId('sent-details');
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  return card.getByTestId('sent-prompt').textContent();
}

test('on-image text, bible rules and the palette keep every keystroke, in any script', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'comic', name: 'Typing' });
  const card = page.getByTestId('frame-card').first();
  await card.locator('summary', { hasText: 'Shot, text and entities' }).click();

  // 1. Chinese with spaces and digits, key by key.
  await card.getByTestId('add-text').click();
  const rows = card.getByTestId('text-row');
  await rows.nth(0).getByTestId('text-value').pressSequentially('限时 5 折', { delay: 15 });
  await rows.nth(0).getByTestId('text-placement').pressSequentially('top third, centred', { delay: 5 });
  // 2. Hindi: vowel signs are separate key presses and must stay on their letters.
  await card.getByTestId('add-text').click();
  await rows.nth(1).getByTestId('text-value').pressSequentially('नमस्ते दुनिया', { delay: 15 });
  await rows.nth(1).getByTestId('text-language').selectOption('Hindi (Devanagari)');
  // 3. Chinese through an input method: pinyin while composing, then the committed words.
  await card.getByTestId('add-text').click();
  await rows.nth(2).getByTestId('text-value').click();
  await compose(page, ['c', 'ch', 'chu', 'chun', 'chunj', 'chunji', 'chunjixinpin'], '春季新品');
  // 4. Arabic, right to left, key by key.
  await card.getByTestId('add-text').click();
  await rows.nth(3).getByTestId('text-value').pressSequentially('تخفيضات الربيع', { delay: 10 });

  const values = await rows.getByTestId('text-value').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(values, ['限时 5 折', 'नमस्ते दुनिया', '春季新品', 'تخفيضات الربيع'], 'the fields show exactly what was typed');
  assert.equal(await rows.nth(0).getByTestId('text-placement').inputValue(), 'top third, centred');
  const prompt = await sentPrompt(card);
  for (const t of ['"限时 5 折" — Chinese', '"नमस्ते दुनिया" — Hindi (Devanagari)', '"春季新品"', '"تخفيضات الربيع"']) {
    assert.ok(prompt.includes(t), `the prompt carries ${t}:\n${prompt}`);
  }
  assert.ok(prompt.includes('top third, centred'));
  assert.ok(!prompt.includes('chunji'), 'nothing of the composition is sent');

  // The bible's Always / Never: spaces and line breaks survive typing.
  await openBible(page);
  const always = page.getByTestId('bible-always');
  await always.pressSequentially('Mara wears her red scarf', { delay: 5 });
  await always.press('Enter');
  await always.pressSequentially('Keep the horizon level', { delay: 5 });
  assert.equal(await always.inputValue(), 'Mara wears her red scarf\nKeep the horizon level');
  const never = page.getByTestId('bible-never');
  await never.pressSequentially(' No text on the sky ', { delay: 5 });
  assert.equal(await never.inputValue(), ' No text on the sky ', 'no trimming under the caret');

  // The palette: swatches appear as colours are typed.
  const palette = page.getByTestId('bible-palette');
  await palette.pressSequentially('#1F6FEB teal, #FF6600 coral', { delay: 5 });
  await page.getByTestId('swatch').nth(1).waitFor();
  assert.equal(await page.getByTestId('swatch').count(), 2);

  // A character added now shows up among the open frame's entities at once.
  await page.getByTestId('add-character').click();
  await closeBible(page);
  await card.getByTestId('entity-pick').first().waitFor();
  assert.equal(await card.getByTestId('entity-pick').count(), 1);

  const withRules = await sentPrompt(card);
  assert.ok(withRules.includes('Mara wears her red scarf'), withRules);
  assert.ok(withRules.includes('Keep the horizon level'), withRules);
  assert.ok(withRules.includes('#1F6FEB teal'), withRules);

  // Leaving the field shows the normalised rules; the model kept them line by line.
  await page.getByTestId('series-title').click();
  assert.equal(await never.inputValue(), 'No text on the sky');

  // Reload: every line comes back exactly (written debounced, flushed when the page hides).
  await page.waitForTimeout(600);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Typing' }).waitFor();
  const again = page.getByTestId('frame-card').first();
  await again.locator('summary', { hasText: 'Shot, text and entities' }).click();
  const reloaded = await again.getByTestId('text-value').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(reloaded, ['限时 5 折', 'नमस्ते दुनिया', '春季新品', 'تخفيضات الربيع']);
  assert.equal(await again.getByTestId('text-language').nth(1).inputValue(), 'Hindi (Devanagari)');
  await openBible(page);
  assert.equal(await page.getByTestId('bible-always').inputValue(), 'Mara wears her red scarf\nKeep the horizon level');
  assert.equal(await page.getByTestId('swatch').count(), 2);

  assert.deepEqual(errors, []);
  await context.close();
});

test('a prompt typed key by key is sent verbatim, and a failed frame keeps its request id inside its card', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'comic', name: 'Verbatim' });
  const card = page.getByTestId('frame-card').nth(2);
  const prompt = card.getByTestId('frame-prompt');
  await prompt.pressSequentially('Mira hands over the parcel  — twice, 两次!', { delay: 5 });
  await prompt.press('Enter');
  await prompt.pressSequentially('[[fault:moderation]]', { delay: 2 });
  assert.equal(await prompt.inputValue(), 'Mira hands over the parcel  — twice, 两次!\n[[fault:moderation]]');
  await clearJournal(server.url);
  await card.getByTestId('generate-frame').click();
  await card.getByTestId('frame-error').waitFor();
  const sent = await journal(server.url);
  assert.equal(sent.length, 1);
  assert.ok(sent[0].params.prompt.endsWith('Mira hands over the parcel  — twice, 两次!\n[[fault:moderation]]'), sent[0].params.prompt);
  const error = card.getByTestId('frame-error');
  assert.match(await error.textContent(), /Request ID: /);
  const fits = await error.evaluate((e) => e.scrollWidth <= e.clientWidth + 1);
  assert.ok(fits, 'the request id wraps inside the card instead of overflowing');
  assert.deepEqual(errors, []);
  await context.close();
});
