import type { Page } from 'playwright-core';

/**
 * Pixels of a chart's canvas (ECharts draws into <canvas> under the element with the
 * data-testid) of one colour (exact [r, g, b], within a small tolerance for anti-aliasing) or
 * of any shade of blue ('blueish': a heatmap's cells), optionally only in a band of the
 * canvas's height (`top` and `bottom` as fractions). A chart with data has bars in its
 * series' colours; an empty one has only axes and text (greys).
 */
export async function canvasPixels(
  page: Page,
  testId: string,
  colour: [number, number, number] | 'blueish',
  band: { top: number; bottom: number } = { top: 0, bottom: 1 },
): Promise<number> {
  const args = JSON.stringify({ testId, colour, band });
  // A string: this project's TypeScript has no DOM types (the code runs in the browser).
  return page.evaluate<number>(`(() => {
    const { testId, colour, band } = ${args};
    let count = 0;
    for (const canvas of document.querySelectorAll('[data-testid="' + testId + '"] canvas')) {
      if (!canvas.width || !canvas.height) continue;
      const y0 = Math.floor(canvas.height * band.top);
      const y1 = Math.ceil(canvas.height * band.bottom);
      const data = canvas.getContext('2d').getImageData(0, y0, canvas.width, Math.max(1, y1 - y0)).data;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a < 250) continue;
        if (colour === 'blueish' ? b - r > 60 && b - g > 30 : Math.abs(r - colour[0]) + Math.abs(g - colour[1]) + Math.abs(b - colour[2]) < 12) count++;
      }
    }
    return count;
  })()`);
}

/**
 * Waits until a chart has more than `least` pixels of `colour` (canvasPixels), and returns the
 * count: ECharts draws its series over an animation once the data has come, so a fixed pause
 * before counting guessed how fast the machine is. The count a chart never got past (after
 * `timeoutMs`) is returned as it stands, for the caller's expect to fail on.
 */
export async function canvasPixelsOver(
  page: Page,
  testId: string,
  colour: [number, number, number] | 'blueish',
  least: number,
  band: { top: number; bottom: number } = { top: 0, bottom: 1 },
  timeoutMs = 15_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await canvasPixels(page, testId, colour, band);
    if (count > least || Date.now() > deadline) return count;
    await new Promise((r) => setTimeout(r, 100));
  }
}
