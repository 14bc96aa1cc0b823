// ${VAR} and ${VAR:-default} in string values, so secrets stay in the environment, not the file.
// $${ is a literal ${. A reference to an unset variable without a default is an error.

export interface Interpolated {
  value: string;
  missing: string[];
  /** Malformed references such as "${1X}" or an unclosed "${". */
  malformed: string[];
  /** True when any reference was replaced. */
  replaced: boolean;
  /** Names of the variables referenced (set or not), so callers can tell where a value came from. */
  names: string[];
}

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?/g;

export function interpolate(text: string, env: NodeJS.ProcessEnv): Interpolated {
  const missing: string[] = [];
  const malformed: string[] = [];
  const names: string[] = [];
  let replaced = false;
  const value = text.replace(REF, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$${') return '${';
    if (name === undefined) {
      malformed.push(whole);
      return whole;
    }
    replaced = true;
    names.push(name);
    const v = env[name];
    if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
    if (v === undefined) {
      missing.push(name);
      return '';
    }
    return v;
  });
  return { value, missing, malformed, replaced, names };
}
