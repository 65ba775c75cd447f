#!/bin/sh
# sign-and-post.sh FULLCHAIN KEY [NAME] — POST a certificate and its key to certrotate's rotate
# webhook as a JSON body, signed per Standard Webhooks (README, The webhook).
# certbot-deploy-hook.sh and acme-sh-reloadcmd.sh source this file and call rotate_sign_and_post;
# it also runs on its own.
#
# Environment:
#   ROTATE_WEBHOOK_URL        rotate's HTTP trigger or function URL (required)
#   ROTATE_WEBHOOK_SECRET     the value rotate has in ROTATE_WEBHOOK_SECRET (required): "whsec_"
#                             followed by standard base64 of the key, or any other string, whose
#                             bytes are the key
#   ROTATE_TARGETS_FILTER     optional: comma-separated target names, sent as "targets"
#   ROTATE_WEBHOOK_CURL_OPTS  optional: extra curl options, split on white space, no quoting
#                             (e.g. "--max-time 300 --cacert /etc/ssl/private-ca.pem")
# Keep the secret out of hook command lines: certbot saves --deploy-hook in renewal/*.conf and
# acme.sh saves --reloadcmd in the domain's .conf. Set it where the client runs (for example a
# root-only systemd EnvironmentFile).
#
# Exit status: 0 when rotate answered 2xx (its answer on stdout); 1 when it answered otherwise or
# could not be reached (the error on stderr, the answer on stdout); 2 on bad usage or input.
#
# Needs sh, openssl, curl and od, tr, sed, mktemp, date, wc, tail, head. The key never appears in
# a command's arguments: the HMAC is built from shell builtins (printf, arithmetic) around
# `openssl dgst -sha256`. Nothing here prints the secret, the key or the body.

LC_ALL=C
export LC_ALL

_rotate_die() { # message [status]
	printf 'certrotate: %s\n' "$1" >&2
	exit "${2:-2}"
}

# _rotate_escape: stdin to stdout as the inside of a JSON string. Every line but the last gets
# "\n" appended and the real newlines are removed, so the input streams through sed line by line.
_rotate_escape() {
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
		-e "s/$(printf '\t')/\\\\t/g" -e "s/$(printf '\r')/\\\\r/g" \
		-e '$!s/$/\\n/' | tr -d '\n'
}

# _rotate_check_file FILE: a readable, non-empty text file of printable ASCII, tab, CR and LF.
_rotate_check_file() {
	[ -f "$1" ] && [ -r "$1" ] || _rotate_die "cannot read $1"
	[ -s "$1" ] || _rotate_die "$1 is empty"
	_rotate_bad=$(tr -d '\011\012\015\040-\176' <"$1" | wc -c | tr -d ' ')
	[ "$_rotate_bad" = 0 ] || _rotate_die "$1 holds $_rotate_bad bytes that are not printable ASCII: not a PEM file"
}

# _rotate_json_file FILE: the file's content as a JSON string, byte for byte.
_rotate_json_file() {
	printf '"'
	_rotate_escape <"$1"
	if [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' \n')" = 0a ]; then
		printf '\\n'
	fi
	printf '"'
}

# _rotate_json_str STRING: STRING as a JSON string; control characters are dropped.
_rotate_json_str() {
	printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | _rotate_escape)"
}

# _rotate_targets: ROTATE_TARGETS_FILTER as JSON array elements (comma-separated, trimmed).
_rotate_targets() (
	set -f
	IFS=,
	_rotate_sep=
	for _rotate_t in ${ROTATE_TARGETS_FILTER:-}; do
		_rotate_t=$(printf '%s' "$_rotate_t" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
		if [ -n "$_rotate_t" ]; then
			printf '%s%s' "$_rotate_sep" "$(_rotate_json_str "$_rotate_t")"
			_rotate_sep=,
		fi
	done
)

# _rotate_key_raw: the HMAC key's bytes ("whsec_" + base64 of the key, else the secret's bytes).
_rotate_key_raw() {
	case $ROTATE_WEBHOOK_SECRET in
	whsec_*) printf '%s' "${ROTATE_WEBHOOK_SECRET#whsec_}" | openssl base64 -d -A ;;
	*) printf '%s' "$ROTATE_WEBHOOK_SECRET" ;;
	esac
}

# _rotate_check_secret: refuse a whsec_ secret that is not standard base64 or holds no key.
_rotate_check_secret() {
	case $ROTATE_WEBHOOK_SECRET in
	whsec_*) ;;
	*) return 0 ;;
	esac
	_rotate_b64=${ROTATE_WEBHOOK_SECRET#whsec_}
	_rotate_len=${#_rotate_b64}
	case $_rotate_b64 in
	'' | *[!A-Za-z0-9+/=]* | *=*[!=]* | *===) _rotate_die "ROTATE_WEBHOOK_SECRET starts with whsec_ but the rest is not standard base64" ;;
	esac
	[ $((_rotate_len % 4)) -eq 0 ] || _rotate_die "ROTATE_WEBHOOK_SECRET starts with whsec_ but the rest is not standard base64 (length not a multiple of 4)"
	_rotate_pad=0
	case $_rotate_b64 in
	*==) _rotate_pad=2 ;;
	*=) _rotate_pad=1 ;;
	esac
	_rotate_want=$((_rotate_len / 4 * 3 - _rotate_pad))
	_rotate_got=$(_rotate_key_raw | wc -c | tr -d ' ')
	[ "$_rotate_want" -gt 0 ] && [ "$_rotate_got" = "$_rotate_want" ] ||
		_rotate_die "ROTATE_WEBHOOK_SECRET starts with whsec_ but does not decode to a key"
}

# _rotate_pads: set _rotate_ipad and _rotate_opad to printf formats (\ooo escapes) of the HMAC
# block key XOR 0x36 and XOR 0x5c (RFC 2104, SHA-256 block of 64 bytes).
_rotate_pads() {
	_rotate_n=$(_rotate_key_raw | wc -c | tr -d ' ')
	if [ "$_rotate_n" -gt 64 ]; then
		_rotate_bytes=$(_rotate_key_raw | openssl dgst -sha256 -binary | od -An -v -tu1)
	else
		_rotate_bytes=$(_rotate_key_raw | od -An -v -tu1)
	fi
	_rotate_ipad= _rotate_opad= _rotate_i=0
	for _rotate_b in $_rotate_bytes; do
		_rotate_x=$((_rotate_b ^ 54)) _rotate_y=$((_rotate_b ^ 92))
		_rotate_ipad="$_rotate_ipad\\$((_rotate_x / 64))$((_rotate_x / 8 % 8))$((_rotate_x % 8))"
		_rotate_opad="$_rotate_opad\\$((_rotate_y / 64))$((_rotate_y / 8 % 8))$((_rotate_y % 8))"
		_rotate_i=$((_rotate_i + 1))
	done
	while [ "$_rotate_i" -lt 64 ]; do
		_rotate_ipad="$_rotate_ipad\\066" _rotate_opad="$_rotate_opad\\134" _rotate_i=$((_rotate_i + 1))
	done
}

# rotate_sign_and_post FULLCHAIN KEY [NAME]
rotate_sign_and_post() {
	[ $# -ge 2 ] && [ $# -le 3 ] || _rotate_die "usage: sign-and-post.sh FULLCHAIN KEY [NAME]"
	for _rotate_tool in openssl curl od; do
		command -v "$_rotate_tool" >/dev/null 2>&1 || _rotate_die "$_rotate_tool is not installed"
	done
	[ -n "${ROTATE_WEBHOOK_URL:-}" ] || _rotate_die "ROTATE_WEBHOOK_URL is not set: rotate's HTTP trigger or function URL"
	[ -n "${ROTATE_WEBHOOK_SECRET:-}" ] || _rotate_die "ROTATE_WEBHOOK_SECRET is not set: the secret rotate verifies requests with"
	_rotate_check_secret
	_rotate_check_file "$1"
	_rotate_check_file "$2"

	_rotate_tmp=$(umask 077 && mktemp -d) || _rotate_die "cannot make a temporary folder"
	trap 'rm -rf "$_rotate_tmp"' EXIT
	trap 'exit 1' HUP INT TERM

	{
		printf '{"certificate":'
		_rotate_json_file "$1"
		printf ',"private_key":'
		_rotate_json_file "$2"
		if [ -n "${3:-}" ]; then
			printf ',"name":%s' "$(_rotate_json_str "$3")"
		fi
		_rotate_tj=$(_rotate_targets)
		if [ -n "$_rotate_tj" ]; then
			printf ',"targets":[%s]' "$_rotate_tj"
		fi
		printf '}'
	} >"$_rotate_tmp/body"
	_rotate_size=$(wc -c <"$_rotate_tmp/body" | tr -d ' ')
	[ "$_rotate_size" -le 1048576 ] || _rotate_die "the body is $_rotate_size bytes, over rotate's limit of 1 MiB"

	_rotate_id=msg_$(openssl rand -hex 16) || _rotate_die "openssl rand failed"
	_rotate_ts=$(date +%s)
	case $_rotate_ts in '' | *[!0-9]*) _rotate_die "date +%s did not give Unix seconds" ;; esac
	_rotate_pads
	{
		printf "$_rotate_ipad"
		printf '%s.%s.' "$_rotate_id" "$_rotate_ts"
		cat "$_rotate_tmp/body"
	} | openssl dgst -sha256 -binary >"$_rotate_tmp/inner"
	_rotate_sig=$({
		printf "$_rotate_opad"
		cat "$_rotate_tmp/inner"
	} | openssl dgst -sha256 -binary | openssl base64 -A)
	_rotate_ipad= _rotate_opad= _rotate_bytes=
	[ ${#_rotate_sig} -eq 44 ] || _rotate_die "openssl did not give an HMAC-SHA256" 1

	_rotate_rc=0
	# ROTATE_WEBHOOK_CURL_OPTS is split on white space on purpose; set -f stops globbing.
	_rotate_code=$(
		set -f
		# shellcheck disable=SC2086
		curl -sS -o "$_rotate_tmp/answer" -w '%{http_code}' \
			--connect-timeout 30 \
			-H 'Content-Type: application/json' \
			-H 'Expect:' \
			-H "webhook-id: $_rotate_id" \
			-H "webhook-timestamp: $_rotate_ts" \
			-H "webhook-signature: v1,$_rotate_sig" \
			--data-binary "@$_rotate_tmp/body" \
			${ROTATE_WEBHOOK_CURL_OPTS:-} \
			--url "$ROTATE_WEBHOOK_URL"
	) || _rotate_rc=$?
	if [ "$_rotate_rc" -ne 0 ]; then
		_rotate_die "could not POST to ROTATE_WEBHOOK_URL: curl exit status $_rotate_rc" 1
	fi
	if [ -s "$_rotate_tmp/answer" ]; then
		head -c 65536 "$_rotate_tmp/answer"
		printf '\n'
	fi
	case $_rotate_code in
	2??) return 0 ;;
	esac
	# The last "error" string of the answer, with the common JSON escapes undone.
	_rotate_err=$(sed -n 's/.*"error"[[:space:]]*:[[:space:]]*"\([^"\\]*\(\\.[^"\\]*\)*\)".*/\1/p' "$_rotate_tmp/answer" 2>/dev/null |
		head -n 1 | sed -e 's/\\u003c/</g' -e 's/\\u003e/>/g' -e 's/\\u0026/\&/g' -e 's/\\"/"/g' -e 's/\\\\/\\/g')
	if [ -z "$_rotate_err" ]; then
		_rotate_err=$(head -c 2048 "$_rotate_tmp/answer" | tr -d '\000-\037')
	fi
	_rotate_die "rotate answered HTTP $_rotate_code: ${_rotate_err:-(no answer body)}" 1
}

if [ -z "${_rotate_lib:-}" ]; then
	set -eu
	rotate_sign_and_post "$@"
fi
