#!/bin/sh
# certbot-deploy-hook.sh — for `certbot --deploy-hook`: POST the renewed certificate to
# certrotate's rotate webhook, signed with Standard Webhooks (README, The webhook).
#
#   certbot renew --deploy-hook /opt/certrotate/scripts/certbot-deploy-hook.sh
#
# certbot sets RENEWED_LINEAGE (the live folder holding fullchain.pem and privkey.pem) and
# RENEWED_DOMAINS (space-separated; the first one names the certificate). Configure with
# ROTATE_WEBHOOK_URL, ROTATE_WEBHOOK_SECRET and optional ROTATE_TARGETS_FILTER,
# ROTATE_WEBHOOK_CURL_OPTS: see sign-and-post.sh, which must sit next to this script (a symlink
# to this script, e.g. in /etc/letsencrypt/renewal-hooks/deploy/, is followed).
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

[ -n "${RENEWED_LINEAGE:-}" ] || _rotate_die "RENEWED_LINEAGE is not set: run this as certbot --deploy-hook"
_rotate_name=${RENEWED_DOMAINS:-}
_rotate_name=${_rotate_name%% *}
[ -n "$_rotate_name" ] || _rotate_name=$(basename -- "$RENEWED_LINEAGE")

rotate_sign_and_post "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$_rotate_name"
