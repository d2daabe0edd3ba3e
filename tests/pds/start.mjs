// Start the Bluesky reference PDS (@atproto/dev-env's TestNetworkNoAppView: an in-memory PLC
// directory and a PDS on SQLite, no app view, so no PostgreSQL or Redis), create one account,
// print one JSON line {"url", "handle", "password", "email", "did"} on stdout, then run until
// stdin closes or SIGTERM/SIGINT arrives.
//
// Usage: node start.mjs [--handle author.test] [--password hunter2] [--email author@example.com]
// Dependencies are resolved with require(), so the script runs either from the install directory
// made by install.sh (node_modules beside it) or from anywhere with NODE_PATH=<dir>/node_modules.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { TestNetworkNoAppView } = require('@atproto/dev-env')
const { AtpAgent } = require('@atproto/api')

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const handle = option('handle', 'author.test')
const password = option('password', 'author-pass')
const email = option('email', `${handle.split('.')[0]}@example.com`)

const started = Date.now()
const net = await TestNetworkNoAppView.create({})
const agent = new AtpAgent({ service: net.pds.url })
await agent.createAccount({ handle, email, password })

let closing = null
function shutdown(code) {
  if (closing) return closing
  closing = net
    .close()
    .catch((err) => console.error('pds: close failed', err))
    .finally(() => process.exit(code))
  return closing
}
process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.stdin.on('end', () => shutdown(0))
process.stdin.on('close', () => shutdown(0))
process.stdin.resume()

process.stdout.write(
  JSON.stringify({
    url: net.pds.url,
    handle,
    password,
    email,
    did: agent.session.did,
    startup_ms: Date.now() - started,
  }) + '\n',
)
