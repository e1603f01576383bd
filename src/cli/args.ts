/**
 * A small, strict command-line parser: `--name value`, `--flag`, `--no-flag`. Unknown options are errors.
 */
export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  choices?: readonly string[];
  help: string;
}

export type ParsedArgs = Record<string, string | number | boolean | undefined>;

export function parseArgs(argv: readonly string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const out: ParsedArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean' && !spec[name]) {
      out[name.slice(3)] = false;
      continue;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') {
      out[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    if (s.choices && !s.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${s.choices.join('|')}, got "${value}"`);
    }
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}

export function usage(command: string, spec: Record<string, OptionSpec>): string {
  const lines = Object.entries(spec).map(([k, s]) => {
    const v =
      s.type === 'boolean'
        ? ''
        : s.choices
          ? ` ${s.choices.join('|')}`
          : s.type === 'number'
            ? ' N'
            : ' VALUE';
    return `  --${k}${v}`.padEnd(36) + s.help;
  });
  return `usage: npm run ${command} -- [options]\n${lines.join('\n')}`;
}
