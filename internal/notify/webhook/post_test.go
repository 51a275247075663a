package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/notify"
)

func TestRetryAfterHeader(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{" 0 ", 0, true},
		{at.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute, true},
		{at.Add(-time.Minute).Format(http.TimeFormat), 0, true}, // in the past: now
		{"999999999", MaxRetryAfter, true},
		{at.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := RetryAfterHeader(c.in, at)
		if got != c.want || ok != c.ok {
			t.Errorf("RetryAfterHeader(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		status          int
		nilErr, perm    bool
		retryAfterValue string
	}{
		{200, true, false, ""}, {202, true, false, ""}, {204, true, false, ""},
		{301, false, true, ""}, {400, false, true, ""}, {404, false, true, ""}, {422, false, true, ""},
		{408, false, false, ""}, {429, false, false, "1"}, {500, false, false, ""}, {503, false, false, ""},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.retryAfterValue != "" {
			h.Set("Retry-After", c.retryAfterValue)
		}
		err := Classify(Response{Status: c.status, Header: h}, time.Now(), nil)
		if (err == nil) != c.nilErr || notify.IsPermanent(err) != c.perm {
			t.Errorf("status %d: %v (permanent %v)", c.status, err, notify.IsPermanent(err))
		}
	}
}

func TestExcerpt(t *testing.T) {
	got := Excerpt([]byte("  line one\r\n\x1b[31mtoken=abcdefghijklmnop  "+strings.Repeat("y", 500)), []string{"abcdefghijklmnop"})
	if !strings.HasPrefix(got, ": line one [31mtoken=[redacted] yyy") || len([]rune(got)) > 202 || strings.ContainsAny(got, "\r\n\x1b") {
		t.Errorf("Excerpt = %q", got)
	}
	if Excerpt(nil, nil) != "" {
		t.Error("Excerpt of an empty body is not empty")
	}
}

func TestPostCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Post(ctx, nil, Request{URL: "https://127.0.0.1:1/hooks/s3cr3tPathToken"})
	if !errors.Is(err, context.Canceled) || notify.IsPermanent(err) {
		t.Errorf("error %v: want a retryable one wrapping context.Canceled", err)
	}
	if strings.Contains(err.Error(), "s3cr3tPathToken") {
		t.Errorf("URL in error: %v", err)
	}
}

func TestCheckEndpoint(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://hooks.slack.com/services/x": true,
		"http://localhost:9000/x":            true,
		"http://127.0.0.1:9000/x":            true,
		"http://[::1]:9000/x":                true,
		"http://10.0.0.1/x":                  false,
		"http://localhost.evil.example/x":    false,
		"https://u:p@hooks.slack.com/x":      false,
		"javascript:alert(1)":                false,
		"hooks.slack.com/x":                  false,
		"":                                   false,
	} {
		err := CheckEndpoint(in)
		if (err == nil) != ok {
			t.Errorf("CheckEndpoint(%q) = %v", in, err)
		}
		if err != nil && strings.Contains(err.Error(), in) && in != "" {
			t.Errorf("error repeats the URL: %v", err)
		}
	}
}

func TestPrepare(t *testing.T) {
	msg := &notify.Message{Kind: notify.KindRenotify, Items: []notify.Item{
		{ConsoleURL: "https://console.aws.amazon.com/x?a=1&b=2", RemediationURL: "javascript:alert(1)"},
		{Kind: notify.KindResolved, ConsoleURL: "https://aws.amazon.com@evil.example/", RemediationURL: "https://docs.example.com/a b|c"},
	}}
	got := Prepare(msg, func(s string) string { return strings.ReplaceAll(s, "&", "&amp;") })
	want := []notify.Item{
		{Kind: notify.KindRenotify, ConsoleURL: "https://console.aws.amazon.com/x?a=1&amp;b=2"},
		{Kind: notify.KindResolved, RemediationURL: "https://docs.example.com/a%20b%7Cc"},
	}
	for i := range want {
		g := got.Items[i]
		if g.Kind != want[i].Kind || g.ConsoleURL != want[i].ConsoleURL || g.RemediationURL != want[i].RemediationURL {
			t.Errorf("item %d: %q %q %q", i, g.Kind, g.ConsoleURL, g.RemediationURL)
		}
	}
	if msg.Items[0].RemediationURL != "javascript:alert(1)" || msg.Items[0].Kind != "" {
		t.Error("Prepare changed its input")
	}
	if one := One(msg, msg.Items[1]); len(one.Items) != 1 || one.Kind != msg.Kind || len(msg.Items) != 2 {
		t.Error("One")
	}
}
