#!/bin/sh
# zip.sh OUT.zip FILE NAME — writes OUT.zip holding FILE as NAME (mode 0755), with zip or python3.
set -eu
out=$1 file=$2 name=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$file" "$tmp/$name"
chmod 0755 "$tmp/$name"
rm -f "$out"
abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
if command -v zip >/dev/null 2>&1; then
	(cd "$tmp" && zip -q -X "$abs" "$name")
else
	(cd "$tmp" && python3 -m zipfile -c "$abs" "$name")
fi
