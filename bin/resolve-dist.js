// Module hook for production builds: 'pulse' and 'pulse/playwright' resolve to dist/ via the
// package's `pulse-dist` export condition, so journey files written against the source work unchanged.
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'pulse' || specifier.startsWith('pulse/')) {
    return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'pulse-dist'] });
  }
  return nextResolve(specifier, context);
}
