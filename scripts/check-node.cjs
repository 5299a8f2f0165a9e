// Stops `npm test` (and the other test commands) at once on a Node outside
// package.json's "engines" range, with a message saying how to get Node 22.
// Without it an older Node crashes deep inside vitest (`Map.groupBy is not a
// function`), hiding the real cause. `npm ci` is stopped by engine-strict in
// .npmrc. Plain old JavaScript on purpose: it must run on the Node it refuses.
"use strict";

var fs = require("fs");
var path = require("path");

var root = path.join(__dirname, "..");

/** The engines range, in the one form package.json uses: ">=22.12.0 <23". */
function parseRange(range) {
  var m = /^>=(\d+)\.(\d+)\.(\d+) <(\d+)$/.exec(String(range).trim());
  if (!m) throw new Error('package.json engines.node "' + range + '" is not of the form ">=22.12.0 <23"');
  return { min: [Number(m[1]), Number(m[2]), Number(m[3])], belowMajor: Number(m[4]) };
}

function parseVersion(version) {
  var m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(version).trim());
  if (!m) throw new Error('"' + version + '" is not a Node version (e.g. 22.23.3)');
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function atLeast(version, min) {
  for (var i = 0; i < 3; i++) if (version[i] !== min[i]) return version[i] > min[i];
  return true;
}

/** Null when `version` satisfies `range`, else the message to print. */
function nodeVersionProblem(version, range, pinned) {
  var wanted = parseRange(range);
  var have = parseVersion(version);
  if (atLeast(have, wanted.min) && have[0] < wanted.belowMajor) return null;
  return [
    "This project needs Node " + range + " (pinned in .nvmrc: " + pinned + "); this is Node " + version + ".",
    "Get Node 22 with one of:",
    '  scripts/install-node.sh && export PATH="$PWD/.tools/node_modules/.bin:$PATH"   (no root needed)',
    "  nvm install && nvm use                                                          (reads .nvmrc)",
    "then run npm ci and npm test again.",
  ].join("\n");
}

function main() {
  var pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  var pinned = fs.readFileSync(path.join(root, ".nvmrc"), "utf8").trim();
  var problem = nodeVersionProblem(process.versions.node, pkg.engines.node, pinned);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}

module.exports = { nodeVersionProblem: nodeVersionProblem };

if (require.main === module) main();
