import { detachPartitionWithoutConcurrently } from '../../../src/lint/rules/detach-partition-without-concurrently.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(detachPartitionWithoutConcurrently, {
  flagged: [
    // Issue 16: DETACH PARTITION without CONCURRENTLY.
    {
      sql: 'ALTER TABLE events DETACH PARTITION events_2024;',
      message: /detaches partition events_2024 from events without CONCURRENTLY/,
    },
    {
      sql: "SET lock_timeout = '5s';\nALTER TABLE app.events DETACH PARTITION app.events_2024;",
      line: 2,
      message: /app\.events_2024 from app\.events/,
    },
  ],
  passes: [
    'ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;',
    'ALTER TABLE events DETACH PARTITION events_2024 FINALIZE;',
    'CREATE TABLE events (at date) PARTITION BY RANGE (at);\nALTER TABLE events DETACH PARTITION events_2024;',
    "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
  ],
});
