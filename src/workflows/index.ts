// Workflows only: this file is the worker's workflow bundle entry point.
export { safeDeployment } from './safeDeployment.js';
