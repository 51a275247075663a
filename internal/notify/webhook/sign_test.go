package webhook

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret := []byte("whsec-test")
	body := []byte(`{"version":1,"kind":"firing"}`)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := Sign(secret, ts, body)
	cases := []struct {
		name      string
		secret    []byte
		timestamp string
		signature string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", secret, ts, sig, body, at.Add(10 * time.Second), time.Minute, nil},
		{"valid, default tolerance", secret, ts, sig, body, at.Add(4 * time.Minute), 0, nil},
		{"clock behind the sender", secret, ts, sig, body, at.Add(-30 * time.Second), time.Minute, nil},
		{"wrong secret", []byte("whsec-other"), ts, sig, body, at, time.Minute, ErrSignature},
		{"tampered body", secret, ts, sig, []byte(`{"version":1,"kind":"resolved"}`), at, time.Minute, ErrSignature},
		{"timestamp swapped", secret, strconv.FormatInt(at.Unix()+1, 10), sig, body, at, time.Minute, ErrSignature},
		{"old timestamp (replay)", secret, ts, sig, body, at.Add(10 * time.Minute), 5 * time.Minute, ErrTimestamp},
		{"old timestamp, default tolerance", secret, ts, sig, body, at.Add(6 * time.Minute), 0, ErrTimestamp},
		{"future timestamp", secret, ts, sig, body, at.Add(-10 * time.Minute), 5 * time.Minute, ErrTimestamp},
		{"timestamp not a number", secret, "yesterday", sig, body, at, time.Minute, ErrTimestamp},
		{"no prefix", secret, ts, sig[len("sha256="):], body, at, time.Minute, ErrSignature},
		{"not hex", secret, ts, "sha256=zz", body, at, time.Minute, ErrSignature},
		{"empty", secret, ts, "", body, at, time.Minute, ErrSignature},
		{"truncated", secret, ts, sig[:20], body, at, time.Minute, ErrSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.secret, c.timestamp, c.signature, c.body, c.now, c.tolerance)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestSignKnownVector(t *testing.T) {
	// printf '%s' '1700000000.{}' | openssl dgst -sha256 -hmac key
	got := Sign([]byte("key"), "1700000000", []byte("{}"))
	const want = "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

// FuzzVerify checks that Verify never panics, accepts what Sign made, and
// rejects the same delivery with the body changed.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("k"), "1764072000", "sha256=00", []byte(`{"version":1}`))
	f.Add([]byte(""), "-1", "", []byte(""))
	f.Add([]byte("k"), " 1764072000 ", "sha256=zz", []byte("x"))
	at := time.Unix(1764072000, 0)
	f.Fuzz(func(t *testing.T, secret []byte, ts, sig string, body []byte) {
		_ = Verify(secret, ts, sig, body, at, time.Minute) // must not panic
		now := strconv.FormatInt(at.Unix(), 10)
		good := Sign(secret, now, body)
		if err := Verify(secret, now, good, body, at, time.Minute); err != nil {
			t.Fatalf("Verify of Sign's output: %v", err)
		}
		if err := Verify(secret, now, good, append(body, '!'), at, time.Minute); !errors.Is(err, ErrSignature) {
			t.Fatalf("changed body verified: %v", err)
		}
	})
}
