import { prepared, preparedName, preparedWhileRoom } from './entity-manager';

describe('preparedWhileRoom (a text built from the configuration)', () => {
  it('prepares the first 100 such texts, sends the rest as they are, and keeps what it prepared', () => {
    const text = (i: number) => `select ${i} from campaign_effects_audience_${i}`;
    for (let i = 0; i < 100; i++) expect(preparedName(preparedWhileRoom(text(i)))).toMatch(/^loyalty_\d+$/);
    expect(preparedWhileRoom(text(100))).toBe(text(100));
    expect(preparedName(text(100))).toBeUndefined();
    // One already prepared stays so, and is not counted again.
    expect(preparedName(preparedWhileRoom(text(7)))).toBe(preparedName(text(7)));
    // The code's own statements are not limited by it.
    expect(preparedName(prepared('select 1 as code_statement'))).toMatch(/^loyalty_\d+$/);
  });
});
