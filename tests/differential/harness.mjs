// The networks' own counting code behind a JSON-lines pipe, for Crier's differential tests.
//
// One long-lived process: every stdin line is a request, every stdout line the answer to it,
// in the same order. A request carries a batch of texts so that one round trip covers many
// (process start and JSON framing would otherwise cost more than the counting).
//
//   {"op": "x", "texts": [...]}      -> {"results": [{weightedLength, valid, permillage,
//                                        validRangeStart, validRangeEnd, displayRangeStart,
//                                        displayRangeEnd, urls: [[start, end], ...],
//                                        urlsWithProtocol: [[start, end], ...]}, ...]}
//     twitter-text 3.1.0: parseTweet(text) with the default (v3) configuration, and
//     extractUrlsWithIndices(text), also with extractUrlsWithoutProtocol: false (Mastodon's
//     way); indices are UTF-16 code units, as the library reports them.
//   {"op": "bluesky", "texts": [...]} -> {"results": [{graphemeLength, length, facets}, ...]}
//     @atproto/api: new RichText({text}), detectFacetsWithoutResolution() (detectFacets without
//     an agent: the facets as built before handles are resolved, sorted as the client sorts).
//   {"op": "bench_x", "texts": [...], "repeat": n}
//                                    -> {"best_ns": ..., "runs_ns": [...], "best_cpu_ns": ...}
//     parseTweet over the batch `repeat` times, each run timed inside Node with
//     process.hrtime.bigint() (and the CPU it used, process.cpuUsage()), so process start
//     and the pipe are not in the figure.
//   {"op": "versions"}               -> {"twitter-text": ..., "@atproto/api": ..., ...}
//
// A request that throws is answered with {"error": message}; the process keeps serving.

import { createRequire } from 'node:module'
import readline from 'node:readline'

const require = createRequire(import.meta.url)
const twitter = require('twitter-text')
const { RichText } = require('@atproto/api')

function x(text) {
  const parsed = twitter.parseTweet(text)
  return {
    weightedLength: parsed.weightedLength,
    valid: parsed.valid,
    permillage: parsed.permillage,
    validRangeStart: parsed.validRangeStart,
    validRangeEnd: parsed.validRangeEnd,
    displayRangeStart: parsed.displayRangeStart,
    displayRangeEnd: parsed.displayRangeEnd,
    urls: twitter.extractUrlsWithIndices(text).map((u) => u.indices),
    // Scheme required, as Mastodon's server extracts URLs.
    urlsWithProtocol: twitter
      .extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false })
      .map((u) => u.indices),
  }
}

function bluesky(text) {
  const rt = new RichText({ text })
  rt.detectFacetsWithoutResolution()
  return {
    graphemeLength: rt.graphemeLength,
    length: rt.length,
    facets: rt.facets ?? [],
  }
}

function benchX(texts, repeat) {
  const runs = []
  const cpuRuns = []
  let total = 0
  for (let r = 0; r < repeat; r++) {
    const cpu = process.cpuUsage()
    const start = process.hrtime.bigint()
    for (let i = 0; i < texts.length; i++) total += twitter.parseTweet(texts[i]).weightedLength
    runs.push(Number(process.hrtime.bigint() - start))
    const used = process.cpuUsage(cpu)
    cpuRuns.push((used.user + used.system) * 1000)
  }
  return { best_ns: Math.min(...runs), runs_ns: runs, best_cpu_ns: Math.min(...cpuRuns), total }
}

function versions() {
  const version = (name) => require(`${name}/package.json`).version
  return {
    'twitter-text': version('twitter-text'),
    'twemoji-parser': version('twemoji-parser'),
    '@atproto/api': version('@atproto/api'),
    tlds: version('tlds'),
    node: process.versions.node,
    icu: process.versions.icu,
    unicode: process.versions.unicode,
  }
}

function answer(request) {
  switch (request.op) {
    case 'x':
      return { results: request.texts.map(x) }
    case 'bluesky':
      return { results: request.texts.map(bluesky) }
    case 'bench_x':
      return benchX(request.texts, request.repeat ?? 1)
    case 'versions':
      return versions()
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`)
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (!line.trim()) continue
  let reply
  try {
    reply = answer(JSON.parse(line))
  } catch (error) {
    reply = { error: String(error && error.stack ? error.stack : error) }
  }
  process.stdout.write(JSON.stringify(reply) + '\n')
}
