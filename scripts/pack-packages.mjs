// Packing the published packages (packages/* that are not private) the way a registry user
// gets them: `pnpm pack` (prepack builds; publishConfig replaces exports). Shared by
// scripts/check-packages.mjs and scripts/consumer-test.mjs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The published package directories: `dirs` (default every packages/*) that are not private. */
export function publishedPackageDirs(dirs) {
  const candidates =
    dirs && dirs.length > 0
      ? dirs
      : readdirSync(join(root, "packages")).map((name) => join(root, "packages", name));
  return candidates.filter((dir) => {
    const manifest = join(dir, "package.json");
    return existsSync(manifest) && !JSON.parse(readFileSync(manifest, "utf8")).private;
  });
}

/**
 * Packs the package in `dir` into `destination` (created if needed; use one directory per
 * package) and returns the tarball's path. Throws with pnpm's output when packing fails.
 */
export function packPackage(dir, destination) {
  mkdirSync(destination, { recursive: true });
  const pack = spawnSync("pnpm", ["pack", "--pack-destination", destination, "--json"], {
    cwd: dir,
    encoding: "utf8",
  });
  if (pack.error) throw pack.error;
  if (pack.status !== 0) throw new Error(`pnpm pack failed in ${dir}:\n${pack.stdout}${pack.stderr}`);
  const tarball = readdirSync(destination).find((file) => file.endsWith(".tgz"));
  if (!tarball) throw new Error(`pnpm pack wrote no tarball into ${destination}:\n${pack.stdout}`);
  return join(destination, tarball);
}
