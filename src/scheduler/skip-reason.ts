/** Why the scheduler let a planned run go: it is counted, never silently dropped. */
export type SkipReason = 'overlap' | 'saturated' | 'shutdown' | 'missed' | 'paused';
export const SKIP_REASONS: readonly SkipReason[] = ['overlap', 'saturated', 'shutdown', 'missed', 'paused'];
