package notify

import "strings"

// One escaper per channel: each makes text from outside (certificate names, bucket keys, target
// names, error texts) inert in that channel's markup, so that it can never become a link, a
// mention, a heading or an HTML tag. Where a channel's documentation does not say whether a
// construct is parsed (inside code spans, "@all" without the robot's "at" field), the stricter
// choice is made and the construct is broken anyway.
//
// Two neutral breaks are used where a backslash escape does not exist or is not honoured: a
// zero-width space after "@" (a mention needs "@" directly before the name: DingTalk's
// https://open.dingtalk.com/document/robots/custom-robot-access "@手机号", WeCom's "<@userid>",
// Slack's "@channel" with link_names), inside "://" (so that no scheme is auto-linked) and inside
// "](" (so that no markdown link forms where "[" and "]" cannot be escaped: code spans, Slack).

const zwsp = "\u200b"

// breaks are the neutral breaks every markup channel applies.
var breaks = []string{"@", "@" + zwsp, "://", ":" + zwsp + "//", "](", "]" + zwsp + "("}

// markdownEscaper is for Feishu card markdown and WeCom markdown: the CommonMark punctuation
// that starts emphasis, code, links and images ("[" and "]": "!" and "(" alone form nothing),
// headings, strike-through and tables is backslash-escaped;
// "<" and ">" become entities, so no tag (<at id=all>, <font>, <a href>, <@userid>) is formed
// (https://open.feishu.cn/document/common-capabilities/message-card/message-cards-content/using-markdown-tags,
// https://developer.work.weixin.qq.com/document/path/91770).
var markdownEscaper = strings.NewReplacer(append([]string{`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"#", `\#`, "~", `\~`, "|", `\|`, "<", "&lt;", ">", "&gt;"}, breaks...)...)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// codeSpanEscaper is for text inside a markdown code span, where backslash escapes are not
// honoured: the characters that could end the span or form a tag are replaced by look-alikes.
var codeSpanEscaper = strings.NewReplacer(append([]string{"`", "'", "<", "‹", ">", "›"}, breaks...)...)

func escapeCodeSpan(s string) string { return codeSpanEscaper.Replace(s) }

// dingTalkEscaper is for DingTalk markdown
// (https://open.dingtalk.com/document/orgapp/message-types-and-data-format): emphasis, links,
// headings and tags are escaped; "_" is kept, as ids hold it and DingTalk does not treat it as
// emphasis inside words.
var dingTalkEscaper = strings.NewReplacer(append([]string{"*", `\*`, "[", `\[`, "]", `\]`, "#", `\#`,
	"<", "&lt;", ">", "&gt;"}, breaks...)...)

func escapeDingTalk(s string) string { return dingTalkEscaper.Replace(s) }

// slackEscaper is for Slack mrkdwn (https://api.slack.com/reference/surfaces/formatting#escaping):
// "&", "<" and ">" are the only characters Slack asks to escape, which is enough to keep out
// links (<url|text>), mentions (<@U…>, <!channel>) and dates; "@" is broken too, in case the
// webhook has link_names on.
var slackEscaper = strings.NewReplacer(append([]string{"&", "&amp;", "<", "&lt;", ">", "&gt;"}, breaks...)...)

func slackEscape(s string) string { return slackEscaper.Replace(s) }
