#!/usr/bin/env bash
# Adds every public member the build reports as undeclared (RS0016) to the engine's
# PublicAPI.Unshipped.txt. Run it after deciding that the new public surface is wanted;
# review the diff of PublicAPI.Unshipped.txt before committing.
set -euo pipefail
cd "$(dirname "$0")/../../src/ReNoise.Engine"
symbols=$( (dotnet build -v q --no-incremental 2>&1 || true) | sed -n "s/.*RS0016: Symbol '\(.*\)' is not part of the declared public API.*/\1/p" | sort -u || true)
[ -z "$symbols" ] && { echo "no undeclared public API"; exit 0; }
{ cat PublicAPI.Unshipped.txt; printf '%s\n' "$symbols"; } | awk 'NR==1 || !seen[$0]++' > PublicAPI.Unshipped.txt.new
mv PublicAPI.Unshipped.txt.new PublicAPI.Unshipped.txt
printf '%s\n' "$symbols" | sed 's/^/added: /'
