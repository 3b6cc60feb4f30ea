import { DefaultLogger, Runtime } from '@temporalio/worker';

// Each test process: Temporal's own INFO lines would drown the test output; warnings still show.
Runtime.install({ logger: new DefaultLogger('WARN') });
