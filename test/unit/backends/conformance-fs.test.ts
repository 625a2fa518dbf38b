// The backend contract (C1–C24) for the two filesystem backends, each test on a fresh temporary folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileSystemAsyncBackend, FileSystemSyncBackend } from '../../../extension/restate/index';
import { runConformance } from '../../backends/conformance';
import type { AnyBackend, ConformanceFixture } from '../../backends/conformance';

const makers: [string, (base: string) => AnyBackend][] = [
  ['FileSystemSyncBackend', (base) => new FileSystemSyncBackend(base)],
  ['FileSystemAsyncBackend', (base) => new FileSystemAsyncBackend(base)],
];

for (const [name, make] of makers) {
  runConformance(
    name,
    async (): Promise<ConformanceFixture> => {
      const dir = mkdtempSync(join(tmpdir(), 'restate-conformance-fs-'));
      const base = join(dir, '.state');
      return {
        backend: make(base),
        reopen: async () => make(base),
        corruptFile: async (statePath) => {
          const file = join(base, ...statePath.slice(1).split('/')) + '.json';
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, '{"broken": ');
        },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    { persistent: true, fsBacked: true, rejectsUnserializable: true },
  );
}
