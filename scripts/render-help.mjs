// Part of `npm run build`, after the oclif manifest: dist/help.json, the pages the launcher (src/launcher.ts) prints for
// `--help`, `-h`, `help [COMMAND]` and `--version` without loading oclif.
//
// Each page is what oclif itself prints, captured here by running oclif (bin/run.js with KEYRACK_NO_FAST_PATH=1) in
// the case the launcher serves: stdout a pipe, no colour, no OCLIF_COLUMNS (so 80 columns). Parity with oclif is
// therefore by construction; test/e2e/fast-path.test.ts checks it for every page from both entry points. The file
// records the platform, CPU and Node it was rendered on, because oclif's version line names them: the launcher serves
// the pages only where those match and hands anything else to oclif.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'))
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
// A throwaway HOME, and nothing from this shell that changes what oclif prints (colour, width, debug).
const home = mkdtempSync(join(tmpdir(), 'keyrack-help-'))
const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', KEYRACK_NO_FAST_PATH: '1', KEYRACK_HOME: join(home, 'keyrack') }

function oclif(args) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { env, cwd: home, encoding: 'utf8' })
  if (result.status !== 0 || result.stderr !== '') {
    throw new Error(`keyrack ${args.join(' ')} exited ${result.status}: ${result.stderr || result.error?.message}`)
  }
  return result.stdout
}

try {
  const ids = Object.keys(manifest.commands).sort()
  const pages = { '': oclif(['--help']) }
  for (const id of ids) pages[id] = oclif([id, '--help'])
  const help = {
    keyrack: version,
    platform: process.platform,
    arch: process.arch,
    node: process.version,
    versionLine: oclif(['--version']),
    pages,
  }
  writeFileSync(join(ROOT, 'dist/help.json'), JSON.stringify(help) + '\n')
} finally {
  rmSync(home, { recursive: true, force: true })
}
