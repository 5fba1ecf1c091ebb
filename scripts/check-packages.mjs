#!/usr/bin/env node
// Checks every published package (packages/* that are not private) the way a registry
// user gets it: packs it with pnpm (prepack builds it; publishConfig replaces exports),
// then checks the tarball. Generic on purpose: no package or entry point is named here.
//
//   - publint (strict: warnings fail) and Are the Types Wrong (node16 CJS, node16 ESM and
//     bundler resolution; `attw --profile node16`);
//   - package.json as published: no source-only "@chat-replay/source" condition, no
//     workspace:/catalog: specifiers, no exact pins among runtime dependencies, shared
//     libraries (ai, zod, React, TanStack Query) only as peers, every entry with
//     types + import + require + default, ./package.json exported, engines, repository
//     with directory, homepage, bugs, MIT, publishConfig access public + provenance;
//   - files: LICENSE (identical to the root one), README.md, a source map next to every
//     exported file and its declarations, no tests; a React entry starts with "use client".
//
// Usage: node scripts/check-packages.mjs [--keep] [package-dir ...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { packPackage, publishedPackageDirs, root } from "./pack-packages.mjs";

const SOURCE_CONDITION = "@chat-replay/source";
/** Libraries an app has its own copy of: ours must use that copy, so peers only. */
const SHARED_LIBRARIES = ["ai", "zod", "react", "react-dom", "@ai-sdk/react", "@tanstack/react-query"];
const ENTRY_CONDITIONS = ["types", "import", "require", "default"];
const FACADE_MAX_BYTES = 2048;

const args = process.argv.slice(2);
const keep = args.includes("--keep");
const selected = args.filter((arg) => !arg.startsWith("--"));

const packageDirs = publishedPackageDirs(selected.map((dir) => join(process.cwd(), dir)));

const work = mkdtempSync(join(tmpdir(), "chat-replay-packages-"));
const rootLicense = readFileSync(join(root, "LICENSE"), "utf8");
let failures = 0;

function run(command, commandArgs, options) {
  const result = spawnSync(command, commandArgs, { encoding: "utf8", ...options });
  if (result.error) throw result.error;
  return result;
}

/** Every file under `dir`, relative to it, with `/` separators. */
function listFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? listFiles(path, base)
      : [relative(base, path).split("\\").join("/")];
  });
}

/** The leaves of an exports value: [conditions on the way, target path]. */
function exportTargets(value, conditions = []) {
  if (typeof value === "string") return [[conditions, value]];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => exportTargets(inner, [...conditions, key]));
}

/** An exact version ("4.6.7") rather than a range ("^4.1.3", ">=4 <5", "4.x"). */
function isExactPin(spec) {
  return /^=?v?\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec.trim());
}

function checkManifest(manifest, files, packed) {
  const problems = [];
  const problem = (text) => problems.push(text);
  const text = JSON.stringify(manifest);

  if (text.includes(SOURCE_CONDITION)) problem(`the published package.json mentions "${SOURCE_CONDITION}"`);
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog|link|file):/.test(spec)) problem(`${field}.${name} is "${spec}"`);
      else if (isExactPin(spec)) problem(`${field}.${name} is pinned exactly ("${spec}"): use a range`);
    }
  }
  for (const name of SHARED_LIBRARIES) {
    if (manifest.dependencies?.[name]) problem(`${name} is a dependency: make it a peer dependency`);
  }

  if (manifest.license !== "MIT") problem(`license is ${JSON.stringify(manifest.license)}, not "MIT"`);
  if (!manifest.engines?.node) problem("engines.node is missing");
  if (!manifest.repository?.url || !manifest.repository?.directory) {
    problem("repository needs url and directory");
  }
  if (!manifest.homepage) problem("homepage is missing");
  if (!manifest.bugs) problem("bugs is missing");
  if (manifest.sideEffects !== false) problem("sideEffects should be false");
  if (manifest.publishConfig?.access !== "public") problem("publishConfig.access should be public");
  if (manifest.publishConfig?.provenance !== true) problem("publishConfig.provenance should be true");

  const exportsField = manifest.exports;
  if (!exportsField || typeof exportsField !== "object") {
    problem("no exports map");
    return problems;
  }
  if (exportsField["./package.json"] !== "./package.json") problem('"./package.json" is not exported');
  const reactEntry = Boolean(manifest.peerDependencies?.react);
  for (const [subpath, value] of Object.entries(exportsField)) {
    if (subpath === "./package.json") continue;
    const targets = exportTargets(value);
    const conditions = new Set(targets.flatMap(([path]) => path));
    for (const condition of ENTRY_CONDITIONS) {
      if (!conditions.has(condition)) problem(`exports["${subpath}"] has no "${condition}" condition`);
    }
    for (const [path, target] of targets) {
      const file = target.replace(/^\.\//, "");
      if (!files.has(file)) {
        problem(`exports["${subpath}"].${path.join(".")} → ${target} is not in the tarball`);
        continue;
      }
      const isJs = /\.[cm]?js$/.test(file);
      const code = isJs ? readFileSync(join(packed, file), "utf8") : "";
      // An entry that only re-exports shared chunks has nothing to map (the chunks have
      // their maps): allow a small JS file without one; declarations always have one.
      const facade = isJs && !code.includes("//# sourceMappingURL=") && code.length <= FACADE_MAX_BYTES;
      if (!files.has(`${file}.map`) && !facade) problem(`${target} has no source map (${target}.map)`);
      if (reactEntry && isJs && !/^["']use client["']/.test(code)) {
        problem(`${target} does not start with "use client"`);
      }
    }
  }
  return problems;
}

function checkFiles(files, packed) {
  const problems = [];
  if (!files.has("README.md")) problems.push("README.md is not in the tarball");
  if (!files.has("LICENSE")) problems.push("LICENSE is not in the tarball");
  else if (readFileSync(join(packed, "LICENSE"), "utf8") !== rootLicense) {
    problems.push("LICENSE differs from the repository's LICENSE");
  }
  for (const file of files) {
    if (/\.test\.[cm]?[jt]sx?$/.test(file) || file.startsWith("test/"))
      problems.push(`${file} is a test file`);
    const mapComment = /\.[cm]?[jt]s$/.test(file)
      ? /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(packed, file), "utf8"))
      : null;
    if (mapComment && !files.has(join(dirname(file), mapComment[1]).split("\\").join("/"))) {
      problems.push(`${file} names a source map that is not in the tarball: ${mapComment[1]}`);
    }
    if (file.endsWith(".map")) {
      // A map without its sources is noise in a debugger: each source must ship too.
      const map = JSON.parse(readFileSync(join(packed, file), "utf8"));
      for (const source of map.sources ?? []) {
        const target = join(packed, dirname(file), source);
        if (!existsSync(target)) problems.push(`${file} points at ${source}, which is not in the tarball`);
      }
    }
  }
  return problems;
}

function report(what, problems) {
  if (problems.length === 0) {
    console.log(`  ✓ ${what}`);
    return;
  }
  failures += problems.length;
  console.log(`  ✗ ${what}`);
  for (const text of problems) console.log(`      ${text}`);
}

for (const dir of packageDirs) {
  const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  console.log(`\n${name}`);
  const destination = join(work, name.replace(/[@/]/g, "_"));
  let tarball;
  try {
    tarball = packPackage(dir, destination);
  } catch (error) {
    report("pnpm pack", [error.message]);
    continue;
  }
  const unpacked = join(destination, "unpacked");
  run("mkdir", ["-p", unpacked]);
  const untar = run("tar", ["-xzf", tarball, "-C", unpacked]);
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  const packed = join(unpacked, "package");
  const files = new Set(listFiles(packed));
  const manifest = JSON.parse(readFileSync(join(packed, "package.json"), "utf8"));
  const size = statSync(tarball).size;
  console.log(`  ${relative(root, dir)} → ${files.size} files, tarball ${(size / 1024).toFixed(1)} kB`);

  report("package.json as published", checkManifest(manifest, files, packed));
  report("files", checkFiles(files, packed));

  const lint = await publint({ pkgDir: packed, pack: false, level: "suggestion", strict: true });
  const lintProblems = [];
  for (const message of lint.messages) {
    const text = `${message.type}: ${formatMessage(message, lint.pkg, { color: false })}`;
    if (message.type === "suggestion") console.log(`    publint ${text}`);
    else lintProblems.push(text);
  }
  report("publint (strict)", lintProblems);

  // attw's node16 profile: node16 from CJS, node16 from ESM and bundler must be clean.
  const attwArgs = ["exec", "attw", tarball, "--profile", "node16", "--format", "ascii", "--no-color"];
  const attw = run("pnpm", attwArgs, { cwd: root });
  report("attw: node16 (CJS), node16 (ESM), bundler", attw.status === 0 ? [] : [attw.stdout + attw.stderr]);
}

if (keep) console.log(`\ntarballs kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
if (packageDirs.length === 0) {
  console.error("check-packages: no publishable package found");
  process.exit(1);
}
if (failures > 0) {
  console.error(`\ncheck-packages: ${failures} problem(s)`);
  process.exit(1);
}
console.log(`\ncheck-packages: ${packageDirs.length} packages OK`);
