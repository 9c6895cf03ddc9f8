// A benefit's or campaign's code as its page's path segment (admin/src/app/code-path.ts): "new"
// is the create page's, "." and ".." are folded away by the browser; every code reaches its page.
import { codeOfSegment, codeSegment } from '../../admin/src/app/code-path';

describe('codeSegment', () => {
  it('round-trips every code through the page route, and leaves ordinary codes as they are', () => {
    for (const code of ['GOLD_DISCOUNT', 'new', 'New', '.', '..', '...', '-', '_', 'a.b-c']) {
      const path = `/benefits/${codeSegment(code)}`;
      expect(new URL(`http://h/admin${path}`).pathname).toBe(`/admin${path}`); // no dot segment folded
      const segment = path.split('/')[2]; // what the router's `/benefits/:code` takes, decoded
      expect(codeOfSegment(decodeURIComponent(segment))).toBe(code);
      expect(segment).not.toBe('new'); // the create page's route is never matched
    }
    expect(codeSegment('GOLD_DISCOUNT')).toBe('GOLD_DISCOUNT');
  });
});
