import { ideHtml, ideTabs } from './ide';
import { IDE_EXAMPLES } from './ide-examples';

describe('the IDE page', () => {
  it('fills the demo member\'s token into the member tabs only, and its id into the variables', () => {
    const tabs = ideTabs({ memberToken: 'member.jwt', memberId: 'm-1' });
    expect(tabs).toHaveLength(IDE_EXAMPLES.length);
    IDE_EXAMPLES.forEach((example, i) => {
      const { authorization } = JSON.parse(tabs[i].headers);
      if (example.role === 'member') expect(authorization).toBe('Bearer member.jwt');
      else expect(authorization).toMatch(/^Bearer <.*npm run token -- --role /);
      expect(tabs[i].variables ?? '').not.toContain('$MEMBER_ID');
    });
    expect(tabs[1].variables).toContain('"memberId": "m-1"');
  });

  it('cannot be ended early by what it embeds', () => {
    const page = ideHtml({ memberToken: '</script><script>alert(1)</script>', memberId: null }, 'start-1');
    expect(page.match(/<\/script>/g)).toHaveLength(4); // the three bundles and its own
    expect(page).toContain('\\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
  });
});
