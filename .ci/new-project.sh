#!/usr/bin/env bash
# Scaffolds the package.json + tsconfig.json of a workspace project: .ci/new-project.sh <dir> <npm-name> <tag> [deps...]
set -euo pipefail
dir=$1; name=$2; tag=$3; shift 3
mkdir -p "$dir/src"
deps=""; refs=""
for d in "$@"; do
  deps="$deps\"@cdp/$d\": \"*\","
  case $d in service-*) p="services/${d#service-}";; *) p="libs/$d";; esac
  refs="$refs{ \"path\": \"$(realpath --relative-to="$dir" "$p")\" },"
done
cat > "$dir/package.json" <<JSON
{
  "name": "$name",
  "version": "0.1.0",
  "private": true,
  "main": "dist/src/index.js",
  "types": "dist/src/index.d.ts",
  "scripts": {
    "build": "tsc -b",
    "typecheck": "tsc -b --pretty",
    "lint": "eslint --max-warnings=0 src test",
    "test": "node $(realpath --relative-to="$dir" .ci)/run-tests.mjs . all"
  },
  "dependencies": { ${deps%,} },
  "nx": { "tags": ["$tag"] }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "$(realpath --relative-to="$dir" tsconfig.base.json)",
  "compilerOptions": { "rootDir": ".", "outDir": "dist", "tsBuildInfoFile": "dist/.tsbuildinfo" },
  "include": ["src/**/*.ts", "test/**/*.ts"],
  "references": [ ${refs%,} ]
}
JSON
