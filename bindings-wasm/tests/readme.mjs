// The README's recipes, extracted from the installed package's README.md into tests/recipes/,
// so the tests run exactly the code the README shows.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARK = /<!-- recipe: ([\w.-]+) -->\n```js\n([\s\S]*?)\n```/g;

/** Writes every `<!-- recipe: NAME -->` block to tests/recipes/NAME; returns the names. */
export function extractRecipes() {
  const require = createRequire(import.meta.url);
  const readme = join(dirname(require.resolve('wxpay-terminate/package.json')), 'README.md');
  const text = readFileSync(readme, 'utf8');
  const dir = new URL('./recipes/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const names = [];
  for (const [, name, code] of text.matchAll(MARK)) {
    writeFileSync(new URL(name, dir), `${code}\n`);
    names.push(name);
  }
  return names;
}

export function recipePath(name) {
  return new URL(`./recipes/${name}`, import.meta.url).pathname;
}
