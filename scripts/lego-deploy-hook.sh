#!/bin/sh
# lego-deploy-hook.sh — for lego's `--deploy-hook`: POST the new certificate to certrotate's
# rotate webhook, signed with Standard Webhooks (README, The webhook).
#
#   lego run -d example.com … --deploy-hook /opt/certrotate/scripts/lego-deploy-hook.sh
#
# lego v5 runs the hook without a shell (the command is split on white space and executed:
# https://go-acme.github.io/lego/advanced/hooks/), so this file needs its first line and its
# execute bit, and its path no spaces. lego passes LEGO_HOOK_CERT_PATH (<name>.crt: the leaf and
# its issuer, or the leaf alone with --no-bundle), LEGO_HOOK_ISSUER_CERT_PATH, LEGO_HOOK_CERT_KEY_PATH
# and LEGO_HOOK_CERT_NAME (used as the name); lego v4's LEGO_CERT_PATH, LEGO_CERT_KEY_PATH and
# LEGO_CERT_DOMAIN are read when those are not set. A leaf without its issuer is sent with the
# issuer file appended. Configure with ROTATE_WEBHOOK_URL, ROTATE_WEBHOOK_SECRET and optional
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

_rotate_cert=${LEGO_HOOK_CERT_PATH:-${LEGO_CERT_PATH:-}}
_rotate_key=${LEGO_HOOK_CERT_KEY_PATH:-${LEGO_CERT_KEY_PATH:-}}
_rotate_issuer=${LEGO_HOOK_ISSUER_CERT_PATH:-${LEGO_ISSUER_CERT_PATH:-}}
_rotate_name=${LEGO_HOOK_CERT_NAME:-${LEGO_CERT_DOMAIN:-}}
[ -n "$_rotate_cert" ] || _rotate_die "LEGO_HOOK_CERT_PATH is not set: run this as lego's --deploy-hook"
[ -n "$_rotate_key" ] || _rotate_die "LEGO_HOOK_CERT_KEY_PATH is not set: run this as lego's --deploy-hook"
_rotate_check_file "$_rotate_cert"

# With --no-bundle the .crt holds the leaf alone: send the chain that lego saved beside it.
_rotate_n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$_rotate_cert" || true)
if [ "$_rotate_n" = 1 ] && [ -n "$_rotate_issuer" ] && [ -s "$_rotate_issuer" ]; then
	_rotate_check_file "$_rotate_issuer"
	_rotate_chain=$(umask 077 && mktemp) || _rotate_die "cannot make a temporary file"
	_rotate_rc=0
	{ cat -- "$_rotate_cert" && printf '\n' && cat -- "$_rotate_issuer"; } >"$_rotate_chain" &&
		(rotate_sign_and_post "$_rotate_chain" "$_rotate_key" "$_rotate_name") || _rotate_rc=$?
	rm -f -- "$_rotate_chain"
	exit "$_rotate_rc"
fi
rotate_sign_and_post "$_rotate_cert" "$_rotate_key" "$_rotate_name"
