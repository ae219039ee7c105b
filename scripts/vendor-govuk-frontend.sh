#!/usr/bin/env bash
# Refresh the vendored GOV.UK Frontend assets from the npm package.
# The version must be the one govuk-frontend-jinja's macros target (see its README).
set -euo pipefail
version="${1:-6.3.0}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/src/missionhub/web/static/govuk-frontend"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "govuk-frontend@$version" --silent >/dev/null && tar xzf "govuk-frontend-$version.tgz")
rm -rf "$dest" && mkdir -p "$dest"
cp "$work/package/dist/govuk/govuk-frontend.min.css" "$work/package/dist/govuk/govuk-frontend.min.js" "$dest/"
cp -r "$work/package/dist/govuk/assets" "$dest/assets"
echo "$version" > "$dest/VERSION"
echo "GOV.UK Frontend $version vendored into $dest"
