import { Runtime } from '@temporalio/worker';
import { capturingLogger } from './helpers/workerLog.js';

// Each test process: Temporal's own INFO lines would drown the test output (warnings still show),
// yet everything a worker logs is kept so that tests can prove no secret reaches the log.
Runtime.install({ logger: capturingLogger });
