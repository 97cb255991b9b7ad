/**
 * Replaces (or appends) single-line top-level keys of a service config, such as the one
 * `serviceConfigYaml` writes, since a strict YAML loader refuses a key given twice.
 */
export const withTopLevel = (yaml: string, lines: Readonly<Record<string, string>>): string => {
  let out = yaml;
  for (const [key, value] of Object.entries(lines)) {
    const line = new RegExp(`^${key}:.*$`, 'm');
    const found = line.exec(out);
    if (found && found[0].trim() === `${key}:`) throw new Error(`withTopLevel: ${key} is a multi-line block`);
    out = found ? out.replace(line, `${key}: ${value}`) : `${out}\n${key}: ${value}\n`;
  }
  return out;
};
