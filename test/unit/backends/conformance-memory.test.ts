import { InMemoryBackend } from '../../../extension/restate/index';
import { runConformance } from '../../backends/conformance';

runConformance('InMemoryBackend', async () => ({ backend: new InMemoryBackend() }));
