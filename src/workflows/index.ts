// Workflows only: this file is the worker's workflow bundle entry point.
export { deploymentFreeze } from './deploymentFreeze.js';
export { deploymentLock } from './deploymentLock.js';
export { safeDeployment } from './safeDeployment.js';
export { validateRequest } from './validateRequest.js';
