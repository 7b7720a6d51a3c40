// Page-side helpers shared by worker.test.mjs and bench-worker.mjs: known images drawn on a
// canvas in the page, decoding a Blob back to pixels, and the long-task recorder. The worker is
// called through the app's own client (src/web/worker.rs), whose export `workerCall(op, args)`
// Trunk's start-up script puts on `window.wasmBindings`; `__w.api` wraps it per operation.

/** Installed with `page.addInitScript(pageHelpers)`: defines `window.__w`. */
export function pageHelpers() {
  const longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  window.__w = {
    longTasks,
    /** The app's worker client, one function per operation (see src/web/worker/hook.rs). */
    api: {
      call: (op, args) => window.wasmBindings.workerCall(op, args),
      async mask(coverage, width, height) { return (await this.call('mask', { coverage, width, height })).image; },
      leak(parent, result, mask, maskKind, threshold) { return this.call('leak', { parent, result, mask, maskKind, threshold }); },
      async composite(parent, result, mask, maskKind, feather) {
        return (await this.call('composite', { parent, result, mask, maskKind, feather })).image;
      },
      async signature(image) { return (await this.call('signature', { image })).signature; },
      compare(image, reference) { return this.call('compare', { image, reference }); },
      thumbnail(image, maxEdge) { return this.call('thumbnail', { image, maxEdge }); },
      setTimeout(ms) { return this.call('timeout', { ms }); },
    },
    /**
     * A PNG Blob of `w × h` drawn from `layers`: `{ fill: [r, g, b, a?], x?, y?, w?, h? }`
     * (a rectangle, the whole image by default), `{ clear: true, x, y, w, h }` (made fully
     * transparent, e.g. to fill it with a translucent colour next) or `{ stripes: [r, g, b],
     * every, width, vertical }`. Integer-aligned rectangles have no anti-aliasing.
     */
    async png(w, h, layers, type = 'image/png') {
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      for (const l of layers) {
        if (l.clear) {
          ctx.clearRect(l.x, l.y, l.w, l.h);
        } else if (l.fill) {
          const [r, g, b, a = 255] = l.fill;
          ctx.fillStyle = `rgba(${r},${g},${b},${a / 255})`;
          ctx.fillRect(l.x ?? 0, l.y ?? 0, l.w ?? w, l.h ?? h);
        } else if (l.stripes) {
          const [r, g, b] = l.stripes;
          ctx.fillStyle = `rgb(${r},${g},${b})`;
          const n = l.vertical ? w : h;
          for (let i = 0; i < n; i += l.every) {
            if (l.vertical) ctx.fillRect(i, 0, l.width, h);
            else ctx.fillRect(0, i, w, l.width);
          }
        }
      }
      return canvas.convertToBlob({ type });
    },
    /**
     * A photo-like `w × h` PNG (gradients, shapes and grain), seeded: the same seed gives the
     * same image. `grainSeed` re-rolls only the grain (as a regenerated image differs
     * slightly everywhere); `edit` (`{ x, y, rx, ry }`) paints new content in that ellipse.
     */
    async photo(w, h, seed = 1, { grainSeed = seed, edit } = {}) {
      let s = seed >>> 0;
      const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext('2d');
      const g = ctx.createLinearGradient(0, 0, w, h);
      g.addColorStop(0, 'hsl(200 60% 70%)');
      g.addColorStop(1, 'hsl(30 70% 40%)');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, w, h);
      for (let i = 0; i < 120; i++) {
        ctx.fillStyle = `hsl(${rnd() * 360} ${40 + rnd() * 50}% ${20 + rnd() * 60}% / ${0.4 + rnd() * 0.6})`;
        ctx.beginPath();
        ctx.ellipse(rnd() * w, rnd() * h, 10 + rnd() * w / 6, 10 + rnd() * h / 6, rnd() * 3, 0, 7);
        ctx.fill();
      }
      if (edit) {
        ctx.fillStyle = 'hsl(120 70% 35%)';
        ctx.beginPath();
        ctx.ellipse(edit.x, edit.y, edit.rx, edit.ry, 0, 0, 7);
        ctx.fill();
      }
      s = grainSeed >>> 0;
      const img = ctx.getImageData(0, 0, w, h);
      for (let i = 0; i < img.data.length; i += 4) {
        const n = (rnd() - 0.5) * 12;
        img.data[i] += n; img.data[i + 1] += n; img.data[i + 2] += n;
      }
      ctx.putImageData(img, 0, 0);
      return canvas.convertToBlob({ type: 'image/png' });
    },
    /** Decodes a Blob in the page: `{ width, height, data }` (straight RGBA). */
    async pixels(blob) {
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      bitmap.close();
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, height: canvas.height, data };
    },
    /**
     * Waits until every long task before now has been reported: runs a 60 ms marker task and
     * waits for its entry (entries arrive in order, some time after their task). Returns
     * whether the marker was seen, which also shows the observer works.
     */
    async flushLongTasks(timeout = 5000) {
      // The marker runs in a task of its own: a busy loop in the caller's task would be
      // reported with that task's start, i.e. inside the window being measured.
      await new Promise((r) => setTimeout(r, 0));
      const t = performance.now();
      while (performance.now() - t < 60);
      const end = performance.now() + timeout;
      while (performance.now() < end) {
        if (longTasks.some((e) => e.start >= t - 1)) return true;
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    },
    /** The error message of a rejected promise, or `null` if it resolved. */
    async failure(promise) {
      try { await promise; return null; } catch (e) { return String(e?.message ?? e); }
    },
  };
}

/** Waits until the app has started and its worker client is reachable. */
export async function waitForApi(page) {
  await page.waitForFunction(() => typeof window.wasmBindings?.workerCall === 'function', null, { timeout: 30000 });
}
