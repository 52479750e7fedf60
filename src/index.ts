// The public authoring entry: the only module a journey file imports.
export { journey } from './journey.ts';
export type { Journey, JourneyBody, JourneyContext, JourneyOptions, JourneyParams, StepFn, StepThresholds, Thresholds, VitalThresholds } from './journey.ts';
export { session } from './session.ts';
export type { Session, SessionContext, SessionOptions } from './session.ts';
export { expect } from '@playwright/test';
