package webhook

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

// CheckEndpoint reports whether raw may be posted to: an https URL, or
// plain http to localhost (a local relay, a test server). The error never
// repeats raw, which may be a resolved secret (a Slack webhook URL).
func CheckEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("is not an absolute URL")
	}
	if u.User != nil {
		return errors.New("must not carry credentials before the host (user:password@)")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLocal(u.Hostname()) {
			return nil
		}
		return errors.New("must use https (plain http is allowed only for localhost)")
	}
	return errors.New("must be an https URL")
}

func isLocal(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Prepare returns a copy of msg ready for templates: its items'
// ConsoleURL and RemediationURL went through tmpl.SafeURL and then enc
// (nil: as they are), so a template can put them into links without
// further escaping, and items without a kind have the message's. msg is
// not changed.
func Prepare(msg *notify.Message, enc func(string) string) *notify.Message {
	out := *msg
	out.Items = make([]notify.Item, len(msg.Items))
	for i, it := range msg.Items {
		it.ConsoleURL = safe(it.ConsoleURL, enc)
		it.RemediationURL = safe(it.RemediationURL, enc)
		if it.Kind == "" {
			it.Kind = msg.Kind
		}
		out.Items[i] = it
	}
	return &out
}

func safe(raw string, enc func(string) string) string {
	l := tmpl.SafeURL(raw)
	if l == "" || enc == nil {
		return l
	}
	return enc(l)
}

// One returns a copy of msg holding only it, for templates rendered once
// per item.
func One(msg *notify.Message, it notify.Item) *notify.Message {
	out := *msg
	out.Items = []notify.Item{it}
	return &out
}
