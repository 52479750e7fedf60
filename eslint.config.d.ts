// The types of what eslint.config.js exports, for the test that holds its import rule.
export const LAYERS: readonly { name: string; paths: readonly string[] }[];
export const layerZones: { target: string; from: string; message: string }[];
declare const config: unknown;
export default config;
