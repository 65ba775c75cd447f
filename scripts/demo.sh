#!/usr/bin/env bash
# make demo: the whole mission on the local emulator.
#  1. start the emulator with load balancers serving certificates about to expire;
#  2. issue a fresh certificate and drop it into the emulated OSS bucket file by file, as a
#     certbot deploy hook with ossutil would;
#  3. run the real rotate binary on each OSS event (the first is "pending": the key is not there yet);
#  4. run the last event again (a redelivery: nothing changes);
#  5. print which listener serves which certificate, before and after, and the reports.
set -euo pipefail
cd "$(dirname "$0")/.."

work=.demo
rm -rf "$work"
mkdir -p "$work/bin" "$work/events"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Building rotate and the emulator"
CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -o "$work/bin/rotate" ./functions/rotate
CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -o "$work/bin/notify" ./functions/notify
go build -o "$work/bin/fakecloud" ./shared/fakecloud/cmd/fakecloud

"$work/bin/fakecloud" serve --addr 127.0.0.1:0 --seed demo --ready-file "$work/url" 2>"$work/fakecloud.log" &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { echo "the emulator did not start:"; cat "$work/fakecloud.log"; exit 1; }
url=$(cat "$work/url")
echo "emulator at $url"

state() { # what every SLB listener and Huawei ELB listener serves
	"$work/bin/fakecloud" state --url "$url"
	if command -v jq >/dev/null 2>&1; then
		curl -fsS "$url/_fake/state" | jq -r '.huawei_projects[]?.load_balancers[]? as $lb | $lb.listeners[]?
		  | "huawei elb \($lb.name) :\(.port)  \(.certificate.name) (\(.certificate.names | join(",")))"
		    + ([.sni_certificates[]? | "  sni \(.name) (\(.names | join(",")))"] | join(""))' 2>/dev/null || true
		# ALB listeners serve CAS certificates, by id "<CertId>-<cas region>": a default and additional ones.
		curl -fsS "$url/_fake/state" | jq -r '(.cas_certificates // []) as $cas | .alb_listeners[]?
		  | "alb \(.load_balancer_id) \(.id) :\(.port)  default \(.certificate as $id | $cas[] | select("\(.id)-cn-hangzhou" == $id) | "\(.name) (\(.names | join(",")))")"
		    + ([.additional[]? as $id | $cas[] | select("\(.id)-cn-hangzhou" == $id) | "  additional \(.name) (\(.names | join(",")))"] | join(""))' 2>/dev/null || true
	fi
}

say "Before: what each HTTPS listener serves"
state

say "A fresh certificate for example.com and *.example.com (certbot layout)"
"$work/bin/fakecloud" mkcert --names 'example.com,*.example.com' --days 90 --out "$work/live/example.com"
ls "$work/live/example.com"

# Every SLB listener of cn-hangzhou, one Huawei ELB listener with its SNI certificate for
# api.example.com, and one ALB listener: its default and its additional certificate for api.example.com.
export ROTATE_TARGETS='[{"provider":"alislb","region":"cn-hangzhou","name":"hangzhou"},
  {"provider":"alialb","region":"cn-hangzhou","name":"alb-web","listener_id":"lsn-demoweb443"},
  {"provider":"alialb","region":"cn-hangzhou","name":"alb-web-api","listener_id":"lsn-demoweb443","domain":"api.example.com"},
  {"provider":"huaweielb","region":"cn-north-4","name":"elb-web","listener_id":"3f9a1c2e-8b4d-4e6f-a0b1-c2d3e4f5a6b7"},
  {"provider":"huaweielb","region":"cn-north-4","name":"elb-web-api","listener_id":"3f9a1c2e-8b4d-4e6f-a0b1-c2d3e4f5a6b7","domain":"api.example.com"}]'
export ROTATE_SLB_ENDPOINT="$url" ROTATE_OSS_ENDPOINT="$url" ROTATE_ELB_ENDPOINT="$url" ROTATE_ALB_ENDPOINT="$url" ROTATE_CAS_ENDPOINT="$url"
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tFakeCloudDemoKey ALIBABA_CLOUD_ACCESS_KEY_SECRET=fakecloud-demo-secret-not-real
export HUAWEICLOUD_SDK_AK=LTAI5tFakeCloudDemoKey HUAWEICLOUD_SDK_SK=fakecloud-demo-secret-not-real
export HUAWEICLOUD_SDK_PROJECT_ID=0a1b2c3d4e5f67890a1b2c3d4e5f6789
unset AWS_LAMBDA_RUNTIME_API FC_RUNTIME_API ALIBABA_CLOUD_SECURITY_TOKEN HUAWEICLOUD_SDK_SECURITY_TOKEN

event() { # event NAME KEY: writes the OSS trigger event for an upload of KEY
	cat >"$work/events/$1.json" <<JSON
{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","eventTime":"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)","eventVersion":"1.0","region":"cn-hangzhou",
 "oss":{"bucket":{"arn":"acs:oss:cn-hangzhou:1234567890:certs","name":"certs","ownerIdentity":"1234567890"},
        "object":{"key":"$2","size":1,"eTag":"demo"},"ossSchemaVersion":"1.0","ruleId":"demo"},
 "requestParameters":{"sourceIPAddress":"127.0.0.1"},"responseElements":{"requestId":"demo"},"userIdentity":{"principalId":"1234567890"}}]}
JSON
}

run() { # run NAME: rotate invoke on an event; prints the report, keeps the logs
	local code=0
	"$work/bin/rotate" invoke --event "$work/events/$1.json" >"$work/$1.report.json" 2>"$work/$1.log" || code=$?
	if command -v jq >/dev/null 2>&1; then
		jq -r '"status: \(.status)\(if .reason then "  (" + .reason + ")" else "" end)",
		       (.targets[] | "  \(.status|.[0:12]|ascii_upcase)\t\(.name)\t\(.reason // .error // .certificate_id // "")")' "$work/$1.report.json"
	else
		cat "$work/$1.report.json"
	fi
	echo "exit code $code"
	return "$code"
}

say "Upload 1 of 2: fullchain.pem lands first; rotate runs on its OSS event"
"$work/bin/fakecloud" put --url "$url" --store oss --bucket certs --key live/example.com/fullchain.pem --file "$work/live/example.com/fullchain.pem"
event upload1 live/example.com/fullchain.pem
run upload1

say "Upload 2 of 2: privkey.pem completes the folder; rotate runs again"
"$work/bin/fakecloud" put --url "$url" --store oss --bucket certs --key live/example.com/privkey.pem --file "$work/live/example.com/privkey.pem"
event upload2 live/example.com/privkey.pem
run upload2

say "The platform delivers the same event again: nothing changes"
cp "$work/events/upload2.json" "$work/events/redelivery.json"
run redelivery

say "A certificate authority calls the webhook: a signed call, then one with a forged signature"
export ROTATE_WEBHOOK_SECRET="whsec_$(printf 'demo webhook secret, not for production' | base64)"
"$work/bin/fakecloud" mkcert --names 'example.com,*.example.com' --days 60 --out "$work/hook" >/dev/null
"$work/bin/rotate" sign --certificate "$work/hook/fullchain.pem" --private-key "$work/hook/privkey.pem" --name example.com --event fc >"$work/events/webhook-signed.json"
sed -e 's/"webhook-signature": "[^"]*"/"webhook-signature": "v1,AAAA"/' "$work/events/webhook-signed.json" >"$work/events/webhook-unsigned.json"
for ev in webhook-signed webhook-unsigned; do
	code=0
	"$work/bin/rotate" invoke --event "$work/events/$ev.json" >"$work/$ev.answer.json" 2>"$work/$ev.log" || code=$?
	if command -v jq >/dev/null 2>&1; then
		jq -r --arg ev "$ev" '"\($ev): HTTP \(.statusCode)  " + (.body | fromjson | if .status then "status \(.status), \([.targets[] | select(.status=="rotated")] | length) places rotated" else .error end)' "$work/$ev.answer.json"
	else
		echo "$ev:"; cat "$work/$ev.answer.json"
	fi
done

say "After: what each HTTPS listener serves"
state

say "The report of the rotation ($work/upload2.report.json)"
cat "$work/upload2.report.json"
say "notify tells people: the report above, to DingTalk and Feishu (signed), WeCom and Slack"
# The emulator's fake robots (/_fake/chat/) check each vendor's signature and print what they accept.
curl -fsS -X PUT "$url/_fake/chat/secrets" -d '{"dingtalk":"SECdemo-dingtalk-secret-not-real","feishu":"demo-feishu-secret-not-real"}'
code=0
NOTIFY_DINGTALK_WEBHOOK="$url/_fake/chat/dingtalk?access_token=demo" NOTIFY_DINGTALK_SECRET=SECdemo-dingtalk-secret-not-real \
NOTIFY_FEISHU_WEBHOOK="$url/_fake/chat/feishu/demo-hook" NOTIFY_FEISHU_SECRET=demo-feishu-secret-not-real \
NOTIFY_WECOM_WEBHOOK="$url/_fake/chat/wecom?key=demo" NOTIFY_SLACK_WEBHOOK="$url/_fake/chat/slack/T0DEMO/B0DEMO/demo" \
	"$work/bin/notify" invoke --event "$work/upload2.report.json" >"$work/notify.answer.json" 2>"$work/notify.log" || code=$?
if command -v jq >/dev/null 2>&1; then
	jq -r '"notify: \(.status)", (.notifications[].channels[] | "  \(.channel)\t\(.status)\t\(.error // "")")' "$work/notify.answer.json"
else
	cat "$work/notify.answer.json"
fi
echo "exit code $code"
echo
echo "What the robots received:"
curl -fsS "$url/_fake/chat/messages?format=text"

printf '\nLogs (JSON, one line per event) are in %s/*.log; the emulator log is %s/fakecloud.log.\n' "$work" "$work"
