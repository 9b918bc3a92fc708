export const SERVICE_BUNDLE: string;
/** Bundle `entry` (a path from the repository root) into `outfile`, two directories below the root. */
export function buildNode(entry?: string, outfile?: string): Promise<string>;
