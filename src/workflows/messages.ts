import { defineQuery } from '@temporalio/workflow';
import type { Progress } from '../shared/report.js';

/** Steps so far, their status and timings: `temporal workflow query --type progress`. */
export const progressQuery = defineQuery<Progress>('progress');
