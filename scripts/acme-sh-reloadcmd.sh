#!/bin/sh
# acme-sh-reloadcmd.sh — for acme.sh `--reloadcmd`: POST the installed certificate to
# certrotate's rotate webhook, signed with Standard Webhooks (README, The webhook).
#
#   acme.sh --install-cert -d example.com --reloadcmd /opt/certrotate/scripts/acme-sh-reloadcmd.sh
#
# acme.sh exports CERT_PATH, CERT_KEY_PATH, CA_CERT_PATH, CERT_FULLCHAIN_PATH and Le_Domain (the
# main domain, used as the name) to the reload command; this reads CERT_FULLCHAIN_PATH and
# CERT_KEY_PATH. Configure with ROTATE_WEBHOOK_URL, ROTATE_WEBHOOK_SECRET and optional
# ROTATE_TARGETS_FILTER, ROTATE_WEBHOOK_CURL_OPTS: see sign-and-post.sh, which must sit next to
# this script (a symlink to this script is followed).
set -eu

_rotate_dir=$(dirname -- "$0")
if [ ! -f "$_rotate_dir/sign-and-post.sh" ] && _rotate_real=$(readlink -f -- "$0" 2>/dev/null); then
	_rotate_dir=$(dirname -- "$_rotate_real")
fi
[ -f "$_rotate_dir/sign-and-post.sh" ] || {
	printf 'certrotate: sign-and-post.sh not found next to %s\n' "$0" >&2
	exit 2
}
_rotate_lib=1
. "$_rotate_dir/sign-and-post.sh"

[ -n "${CERT_FULLCHAIN_PATH:-}" ] || _rotate_die "CERT_FULLCHAIN_PATH is not set: run this as acme.sh --reloadcmd"
[ -n "${CERT_KEY_PATH:-}" ] || _rotate_die "CERT_KEY_PATH is not set: run this as acme.sh --reloadcmd"

rotate_sign_and_post "$CERT_FULLCHAIN_PATH" "$CERT_KEY_PATH" "${Le_Domain:-}"
