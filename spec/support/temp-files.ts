import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempFiles {
  /** Writes a file in a fresh temporary directory and returns its path. */
  write(name: string, content: string | Buffer): Promise<string>;
  removeAll(): Promise<void>;
}

export const createTempFiles = (prefix: string): TempFiles => {
  const dirs: string[] = [];
  return {
    async write(name, content) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    async removeAll() {
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    },
  };
};
