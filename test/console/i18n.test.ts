import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { en } from '../../admin/src/i18n/en';
import { zhCN } from '../../admin/src/i18n/zh-CN';
import { ROOT } from '../support/server-process';

/**
 * The console's labels: every key in both languages, each translated, with the same `{vars}`;
 * and no label written into a component instead of the tables (text in JSX, or an aria-label,
 * title, placeholder or alt given as a literal).
 */
const SRC = join(ROOT, 'admin', 'src');
const CJK = /[\u3400-\u9fff\uff01-\uff60\u3000-\u303f]/;
const vars = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
/** Keys whose Chinese is the same as the English by nature (a name the product keeps in Latin letters). */
const SAME_IN_BOTH = new Set<string>([]);

describe('the translation tables', () => {
  it('have the same keys in English and Chinese', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('translate every label: no empty message, Chinese text in each Chinese one, the same {placeholders}', () => {
    const problems: string[] = [];
    for (const [key, english] of Object.entries(en) as [keyof typeof en, string][]) {
      const chinese = zhCN[key];
      if (!english.trim() || !chinese?.trim()) problems.push(`${key}: empty`);
      else if (!SAME_IN_BOTH.has(key) && !CJK.test(chinese)) problems.push(`${key}: "${chinese}" has no Chinese`);
      if (JSON.stringify(vars(english)) !== JSON.stringify(vars(chinese ?? ''))) problems.push(`${key}: placeholders ${vars(english).join()} vs ${vars(chinese ?? '').join()}`);
    }
    expect(problems).toEqual([]);
  });
});

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'gql' ? [] : files(join(dir, e.name))) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : []);
}

/** Text a person reads, written in a component: JSX text with a letter, or a literal accessible name / title / placeholder. */
export function literalLabels(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const where = (node: ts.Node) => `${relative(ROOT, path)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && /\p{L}/u.test(node.text)) found.push(`${where(node)} text "${node.text.trim()}"`);
    if (ts.isJsxAttribute(node) && node.initializer && ts.isStringLiteral(node.initializer)) {
      const name = node.name.getText(file);
      if (['aria-label', 'title', 'placeholder', 'alt', 'label'].includes(name) && /\p{L}/u.test(node.initializer.text)) {
        found.push(`${where(node)} ${name}="${node.initializer.text}"`);
      }
    }
    if (ts.isJsxExpression(node) && node.expression && ts.isStringLiteral(node.expression) && /\p{L}/u.test(node.expression.text)) {
      found.push(`${where(node)} {"${node.expression.text}"}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('the components', () => {
  it('take every label from the tables', () => {
    const found = files(SRC).flatMap((path) => literalLabels(path, readFileSync(path, 'utf8')));
    expect(found).toEqual([]);
  });

  it('(the check itself finds a literal label)', () => {
    expect(literalLabels('x.tsx', 'const A = () => <p title="Hi">Hello <b>{"there"}</b>{t("ok")} ×</p>;')).toEqual([
      'x.tsx:1 title="Hi"', 'x.tsx:1 text "Hello"', 'x.tsx:1 {"there"}',
    ]);
  });
});
