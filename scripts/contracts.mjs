// Compiles Veil's Solidity contracts with the solc pinned in package.json and generates their Go bindings.
//
//   node scripts/contracts.mjs [--out DIR]
//
// Sources: wallet/contracts/*.sol (production) and wallet/contracts/testdata/*.sol (contracts only tests deploy).
// Writes, under DIR (default wallet/contracts):
//   build/<Name>.abi, build/<Name>.bin and <name>.go (package contracts) for each production contract;
//   attack/build/<Name>.abi, attack/build/<Name>.bin and attack/<name>.go (package attack) for each test contract.
// The output depends only on the sources and the pinned tools: the compiler settings are fixed here, the metadata
// hash is left out of the bytecode, and files are written in a fixed order with fixed formatting.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "wallet", "contracts");
const require = createRequire(join(root, "package.json"));
const solc = require("solc");

const PINNED = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.solc;
// The EVM the bytecode targets: Cancun (transient storage for the reentrancy guards, PUSH0, MCOPY).
const EVM_VERSION = "cancun";
const OPTIMIZER_RUNS = 200;

// Which contracts get bindings, and where. Everything else (interfaces, libraries) is only compiled.
const TARGETS = [
  { file: "VeilToken.sol", name: "VeilToken", pkg: "contracts", dir: "" },
  { file: "Tips.sol", name: "Tips", pkg: "contracts", dir: "" },
  { file: "RelayRegistry.sol", name: "RelayRegistry", pkg: "contracts", dir: "" },
  { file: "testdata/HookToken.sol", name: "HookToken", pkg: "attack", dir: "attack" },
  { file: "testdata/Reenterer.sol", name: "Reenterer", pkg: "attack", dir: "attack" },
];

function parseArgs(argv) {
  let out = src;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && i + 1 < argv.length) out = resolve(argv[++i]);
    else throw new Error(`usage: node scripts/contracts.mjs [--out DIR] (unknown argument ${argv[i]})`);
  }
  return out;
}

function sources() {
  const units = {};
  for (const sub of ["", "testdata"]) {
    const dir = join(src, sub);
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".sol")).sort()) {
      const unit = sub ? `${sub}/${f}` : f;
      units[unit] = { content: readFileSync(join(dir, f), "utf8") };
    }
  }
  return units;
}

function compile() {
  const version = solc.version();
  if (!version.startsWith(`${PINNED}+`)) {
    throw new Error(`solc ${version} is installed, package.json pins ${PINNED}: run npm ci --ignore-scripts`);
  }
  const input = {
    language: "Solidity",
    sources: sources(),
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      metadata: { bytecodeHash: "none", appendCBOR: false },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage + "\n");
  if (errors.length > 0) throw new Error(`solc: ${errors.length} error(s)`);
  return output.contracts;
}

function main() {
  const out = parseArgs(process.argv.slice(2));
  const contracts = compile();
  for (const t of TARGETS) {
    const c = contracts[t.file]?.[t.name];
    if (!c) throw new Error(`solc produced no ${t.name} in ${t.file}`);
    const pkgDir = join(out, t.dir);
    const buildDir = join(pkgDir, "build");
    mkdirSync(buildDir, { recursive: true });
    const abiFile = join(buildDir, `${t.name}.abi`);
    const binFile = join(buildDir, `${t.name}.bin`);
    writeFileSync(abiFile, JSON.stringify(c.abi, null, 1) + "\n");
    writeFileSync(binFile, c.evm.bytecode.object); // abigen wants bare hex, no newline
    const goFile = join(pkgDir, `${t.name.toLowerCase()}.go`);
    execFileSync(
      "go",
      ["tool", "abigen", "--v2", "--abi", abiFile, "--bin", binFile, "--pkg", t.pkg, "--type", t.name, "--out", goFile],
      { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
    );
    process.stdout.write(`${t.name}: ${c.evm.bytecode.object.length / 2} bytes of creation code -> ${goFile}\n`);
  }
}

main();
