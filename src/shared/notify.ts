/**
 * The moments a deployment announces on its webhook. Shared by the config schema (which events an
 * environment wants), the notify activity and the workflow (which sends them).
 */
export const NOTIFY_EVENTS = ['started', 'waiting-for-approval', 'deployed', 'rolled-back', 'rollback-failed'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
