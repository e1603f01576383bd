// `npm run build:checkpoints [-- NAME…]`: builds the small base policy the playground starts from, for every shipped
// corpus (or the named ones), with the CLI's default reading practice and no RL (`--steps 0`), and copies the
// checkpoint to public/checkpoints/NAME/. The run's own figures stay in runs/base-NAME/ (summary.json).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const index = JSON.parse(fs.readFileSync(path.join(root, 'public/corpus/index.json'), 'utf8'));
const wanted = process.argv.slice(2);
for (const c of index) {
  if (wanted.length && !wanted.includes(c.name)) continue;
  const dir = path.join('public/corpus');
  const out = path.join('runs', `base-${c.name}`);
  const args = [
    'tsx',
    'src/cli/train.ts',
    '--corpus',
    path.join(dir, c.corpus),
    '--train',
    path.join(dir, c.train),
  ];
  args.push('--test', path.join(dir, c.test), '--out', out, '--steps', '0', '--pass-k', '0');
  console.log(`base policy for ${c.name}: npx ${args.join(' ')}`);
  const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const dest = path.join(root, 'public/checkpoints', c.name);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  for (const f of ['config.json', 'weights.bin', 'tokenizer.json', 'run.json']) {
    fs.copyFileSync(path.join(root, out, 'checkpoint', f), path.join(dest, f));
  }
  console.log(`→ ${path.relative(root, dest)}`);
}
